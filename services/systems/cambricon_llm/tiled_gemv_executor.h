// TiledGemvExecutor: Cambricon-LLM's hardware-aware tiling (Yu et al.,
// MICRO 2024, §V-B and §IV-C; docs/cambricon-llm.md). Every decode weight
// GEMV is split by bytes between the flash's compute cores and the NPU:
// the flash share runs as read-compute requests (kGemv) on one half of each
// die's planes, whose compute core takes one page per tR; the NPU share is
// read as normal page reads (kRead) from the other half of the planes over
// the same channels, while the cores compute (§IV-C: "while one plane feeds
// the core, the other serves normal reads"). Both really occupy the dies
// and the channel buses; nothing is priced in closed form.
//
// Layout (CambriconLlmNandConfig with TILED): each physical die is two
// strata dies on its channel, 2k (compute: its planes feed the die's core)
// and 2k+1 (read: its planes serve the NPU), each with half the planes.
// Every matrix is placed on first use, in op order: its flash pages on
// every compute plane (each starting a fresh block), its NPU pages spread
// over the read dies (channels first, so each channel carries an equal
// share, the first few one page more).
// Split of a matrix of P pages over Cp compute planes: each compute plane
// takes k whole pages, at most ceil(P / Cp); the NPU reads the P - k x Cp
// pages left, if any. Hardware-aware (§V-B, the default): k is the one
// whose op time by §V-B's rates, max(k x planes a die x t_rc,
// NPU bytes / B_channel), is least (the fewest NPU pages on a tie): the
// tiling a compiler picks from the hardware, not a timing shortcut (the
// run then simulates the split). A fixed share (npu_weight_share):
// k = round((1 - share) x P / Cp) (share 0: exactly ceil(P / Cp), as
// NO_TILING places it).
// The NPU multiplies each page as it arrives (2 TOPS, §VII-A, against 1 GB/s
// of INT8 weights per channel: ~1000x faster), so its multiply adds no
// time after the last page here; its MACs are counted for the energy.
// Breakdown: an op's span goes to the side that finished last: the compute
// cores' bottleneck (flash_array or pe_compute, as FlashGemvExecutor) or
// host_gemv (the NPU's share, bound by its page reads over the channels).
//
// Ports: "driver" (ops in, completions out); "ch0".."chN-1" (each to a
//   NandChannel's "host" port).
// Statistics: ops, requests, pages computed in flash, pages read for the
//   NPU, NPU MACs, partial-sum bytes.
#ifndef STRATA_SYSTEMS_CAMBRICON_LLM_TILED_GEMV_EXECUTOR_H_
#define STRATA_SYSTEMS_CAMBRICON_LLM_TILED_GEMV_EXECUTOR_H_

#include <map>
#include <optional>
#include <vector>

#include "services/host/model/model_catalog.h"
#include "services/host/workload/ops.h"
#include "services/nand/flash/nand_config.h"
#include "services/nand/flash/nand_events.h"
#include "strata/sim/component.h"

namespace strata::systems {

// §V-B's rates of a platform (CambriconLlmSystem's SectionVBRates).
struct TilingRates {
  double t_rc_seconds = 0;              // one read-compute request: tR + the input vector's transfer
  double flash_bytes_per_s = 0;         // B_flash: every die's core, one page per t_rc
  double channel_read_bytes_per_s = 0;  // B_channel: the channels' rate left for normal reads
};

class TiledGemvExecutor final : public sim::Component {
 public:
  // `nand`: the tiled layout (dies in compute / read pairs on each channel).
  // `npu_share`: the NPU's share of every GEMV's weight bytes, in [0, 1];
  // unset: each GEMV split by `rates` (§V-B).
  TiledGemvExecutor(const nand::NandConfig& nand, const host::ModelShape& shape, std::optional<double> npu_share,
                    TilingRates rates);
  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;

  uint64_t pages_computed() const { return compute_pages_; }
  uint64_t pages_read_for_npu() const { return read_pages_; }
  // INT8 weights the NPU multiplies (one MAC each).
  int64_t npu_macs() const { return static_cast<int64_t>(read_pages_) * nand_.geometry.page_bytes; }

 private:
  struct Placement {
    uint32_t compute_block;
    uint32_t compute_pages_per_plane;  // on every compute plane
    uint32_t read_block;
    uint32_t read_pages_base;   // on every read die; the first `read_pages_extra` one more
    uint32_t read_pages_extra;  // (read dies ordered channel-minor)
    uint32_t vector_dim;
  };
  struct Pending {
    host::Op op;
    sim::SimTime arrived;
    uint32_t outstanding;
  };
  const Placement* Place(const host::Op& op);
  void Start(const host::Op& op);
  // Sends the requests covering `pages` pages of `op` from `block` on one die.
  uint32_t SendRequests(const host::Op& op, nand::NandOp kind, uint32_t channel, uint32_t die, uint32_t block,
                        uint32_t pages_per_plane, uint32_t vector_dim, uint32_t* index);

  const nand::NandConfig nand_;
  const host::ModelShape shape_;
  const std::optional<double> npu_share_;
  const TilingRates rates_;
  const uint32_t pairs_;  // physical dies per channel
  sim::PortId driver_;
  std::vector<sim::PortId> channels_;
  std::map<uint64_t, Placement> placement_;  // key: layer << 16 | matrix
  uint32_t next_compute_block_ = 0, next_read_block_ = 0;
  std::map<uint64_t, Pending> pending_;  // by op id (requests carry it)
  host::Category bottleneck_;
  uint64_t ops_ = 0, requests_ = 0, compute_pages_ = 0, read_pages_ = 0, partial_sum_bytes_ = 0;
};

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CAMBRICON_LLM_TILED_GEMV_EXECUTOR_H_
