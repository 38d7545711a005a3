// FlashGemvExecutor: runs the driver's offloaded weight GEMVs inside the
// flash (NVLLM's FFN on the dot-product engines of its NAND dies;
// Cambricon-LLM's every weight GEMV on its dies' compute cores). It is the
// logic that sits beside the arrays: it places every matrix it is sent
// (its input width from GemvInputWidth) block-contiguously across all dies
// (each die gets an equal share of the matrix's pages, spread over all its
// planes), turns one GEMV op into per-die multi-plane kGemv requests on the
// channels, gathers the dies' partial sums and reduces them.
//
// Ports: "driver" (ops in, completions out); "ch0".."chN-1" (each to a
//   NandChannel's "host" port).
// Placement: a matrix's pages are allocated on first use, in op order (a
//   pure function of the job), each starting at a fresh block on every die.
// Breakdown of an op's time: the whole span is attributed to the pipeline's
//   slowest stage per page: array read (flash_array) or PE compute
//   (pe_compute); ECC runs in parallel with compute on the die (NVLLM), and
//   partial-sum transfer and reduction overlap the stream. This is a
//   per-op attribution by bottleneck, not a per-page account.
// Statistics: GEMV ops, NAND requests, pages, partial-sum bytes.
#ifndef STRATA_HOST_COMPUTE_FLASH_GEMV_EXECUTOR_H_
#define STRATA_HOST_COMPUTE_FLASH_GEMV_EXECUTOR_H_

#include <map>
#include <vector>

#include "flash/nand_config.h"
#include "model/model_catalog.h"
#include "strata/sim/component.h"
#include "workload/ops.h"

namespace strata::host {

class FlashGemvExecutor final : public sim::Component {
 public:
  FlashGemvExecutor(const nand::NandConfig& nand, const ModelShape& shape, WeightType weight_type);
  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;

  uint64_t pages_requested() const { return pages_; }
  uint64_t blocks_used_per_die() const { return next_block_; }

 private:
  struct Placement {
    uint32_t first_block;
    uint32_t pages_per_plane;  // on every plane of every die
    uint32_t vector_dim;
  };
  struct Pending {
    Op op;
    sim::SimTime arrived;
    uint32_t outstanding;
  };
  const Placement* Place(const Op& op);
  void Start(const Op& op);

  const nand::NandConfig nand_;
  const ModelShape shape_;
  const WeightType weight_type_;
  sim::PortId driver_;
  std::vector<sim::PortId> channels_;
  std::map<uint64_t, Placement> placement_;  // key: layer << 16 | matrix
  uint32_t next_block_ = 0;
  std::map<uint64_t, Pending> pending_;  // by op id (requests carry it)
  Category bottleneck_;
  uint64_t ops_ = 0, requests_ = 0, pages_ = 0, partial_sum_bytes_ = 0;
};

}  // namespace strata::host

#endif  // STRATA_HOST_COMPUTE_FLASH_GEMV_EXECUTOR_H_
