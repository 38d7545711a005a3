// AifExecutor: the host-side driver of an AiF SSD in an LLM job (AiF,
// ISCA'25: llama.cpp with decode GEMVs offloaded through NVMe vendor
// commands). Before decoding it places every weight matrix with aif_post,
// one command at a time, then tells the workload driver it is ready. Each
// offloaded GEMV op becomes one aif_gemv of its placed matrix.
//
// Ports: "driver" (ops in; completions and kOffloadReady out),
//        "ssd" (AifSsd "host": kAifSubmit out, kAifComplete in).
// Breakdown: an op's time is the command's flash step (flash_array: array
//   reads, ECCLITE and PE MACs overlap in the dies) and the rest of its
//   latency (pcie_nvme: submission, doorbell, fetch, firmware, DMA, vector
//   load, reduce, completion), as AifSsd reports them.
// Statistics: matrices posted, placement time, GEMVs.
#ifndef STRATA_COORDINATOR_SYSTEMS_AIF_EXECUTOR_H_
#define STRATA_COORDINATOR_SYSTEMS_AIF_EXECUTOR_H_

#include <deque>
#include <map>
#include <vector>

#include "model/model_catalog.h"
#include "strata/sim/component.h"
#include "workload/ops.h"

namespace strata::coordinator {

class AifExecutor final : public sim::Component {
 public:
  explicit AifExecutor(const host::ModelShape& shape);
  void Init() override;
  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;
  sim::SimTime placement_time() const { return placement_time_; }

 private:
  struct MatrixShape {
    uint64_t key;  // layer << 16 | matrix
    uint32_t rows, cols;
  };
  void PostNext();
  void SendNextGemv();

  std::vector<MatrixShape> to_post_;
  size_t posted_ = 0;
  std::map<uint64_t, uint32_t> matrix_id_;  // key -> AifSsd matrix id
  sim::PortId driver_, ssd_;
  std::deque<host::Op> waiting_;
  bool busy_ = false;
  host::Op current_{};
  sim::SimTime placement_time_;
  uint64_t gemvs_ = 0;
};

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_SYSTEMS_AIF_EXECUTOR_H_
