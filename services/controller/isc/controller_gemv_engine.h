// ControllerGemvEngine: compute units in an SSD controller that run GEMVs
// over weights read from the flash through the external channels — the
// "SSD-like" in-storage designs NVLLM compares with (up to 4.7x in its
// favour), as opposed to compute beside the arrays (NVLLM) or in the chips
// (AiF). Every weight byte crosses a flash channel, so the channel rate
// bounds the GEMV.
//
// Hardware it stands for: the controller's flash interface (one request
// queue per die, multi-plane cache reads) and its GEMV units (INT8 MAC
// arrays with the input vector in SRAM), one unit per group of channels.
//
// Ports:
//   "host"             receives kIscGemv, sends kIscGemvDone.
//   "ch0".."ch<C-1>"   NandChannel "host" ports: kNandRequest / kNandResponse.
//
// Behaviour:
//   - Placement: a matrix's pages are allocated on first use, in request
//     order, block-contiguously, an equal share on every plane of every die,
//     each matrix starting at a fresh block (as the NVLLM executor places
//     its FFN).
//   - A GEMV reads its pages as multi-plane, multi-page reads of at most
//     request_steps page steps each (controller firmware chunking), queued
//     per die; a die streams a read with cache read as the NAND model does.
//   - When a read's data is in the controller, the unit of its channel
//     (channel c -> unit c mod compute_units) multiplies it, FIFO:
//     bytes x 8 / weight_bits weights at macs_per_cycle per clock. The GEMV
//     is done when its last read is computed. (The input vector sits in the
//     units' SRAM; the output vector, a few KiB, leaves on the controller's
//     on-chip bus: neither transfer is modelled.)
// Parameters: ControllerGemvConfig (below).
// Statistics: GEMVs, NAND requests, pages, bytes computed, unit busy time.
#ifndef STRATA_CONTROLLER_ISC_CONTROLLER_GEMV_ENGINE_H_
#define STRATA_CONTROLLER_ISC_CONTROLLER_GEMV_ENGINE_H_

#include <cstdint>
#include <map>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "flash/nand_config.h"
#include "flash/nand_events.h"
#include "strata/sim/component.h"

namespace strata::controller {

enum IscEventType : sim::EventType {
  kIscGemv = 0x4390,
  kIscGemvDone,
  kIscComputeDone,  // self-scheduled: a GEMV's last unit finished
};

struct IscGemv {
  uint64_t id = 0;      // the caller's, echoed
  uint64_t matrix = 0;  // the caller's key of the weight matrix (placement)
  int64_t weight_bytes = 0;
};

struct IscGemvDone {
  uint64_t id = 0;
  bool ok = true;
  // First read issued .. last read's data in the controller; then the
  // compute left after it. They add up to the GEMV's latency.
  int64_t stream_ps = 0;
  int64_t compute_tail_ps = 0;
};

static_assert(std::is_trivially_copyable_v<IscGemv> && sizeof(IscGemv) <= sim::kEventPayloadBytes);
static_assert(std::is_trivially_copyable_v<IscGemvDone> && sizeof(IscGemvDone) <= sim::kEventPayloadBytes);

struct ControllerGemvConfig {
  nand::NandConfig nand;            // pe.placement must be kNone: no compute in the chips
  uint32_t compute_units = 8;       // assumption: one per channel
  uint64_t clock_hz = 1'000'000'000;  // assumption: 1 GHz controller logic (28 nm, NVLLM's node)
  uint32_t macs_per_cycle = 32;     // assumption: INT8 MACs per unit per cycle
  uint32_t weight_bits = 8;
  // Page steps (planes x pages) per read request. Assumption: firmware
  // splits a die's share into 8-step reads so compute starts early.
  uint32_t request_steps = 8;
};

// INVALID_ARGUMENT naming the field, its value and the allowed range.
absl::Status ValidateControllerGemvConfig(const ControllerGemvConfig& config);

class ControllerGemvEngine final : public sim::Component {
 public:
  // `config` must have passed ValidateControllerGemvConfig.
  ControllerGemvEngine(std::string name, const ControllerGemvConfig& config);
  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;

  uint64_t pages_read() const { return pages_; }
  uint64_t bytes_computed() const { return bytes_computed_; }
  sim::SimTime unit_busy() const { return unit_busy_; }  // summed over units
  // Aggregate channel bandwidth, bytes/s: channels x MT/s x bus width.
  double ChannelBytesPerSecond() const;

 private:
  struct Placement {
    uint32_t first_block = 0;
    uint32_t pages_per_plane = 0;
  };
  struct Pending {
    IscGemv gemv;
    sim::SimTime arrived;
    uint32_t outstanding = 0;
    bool failed = false;
    sim::SimTime compute_end;
  };
  const Placement* Place(const IscGemv& g);
  void Start(const IscGemv& g);

  const ControllerGemvConfig config_;
  sim::PortId host_;
  std::vector<sim::PortId> channels_;
  std::map<uint64_t, Placement> placement_;
  uint32_t next_block_ = 0;
  std::map<uint64_t, Pending> pending_;  // by internal sequence number
  uint64_t next_seq_ = 0;
  std::vector<sim::SimTime> unit_free_;
  uint64_t gemvs_ = 0, requests_ = 0, pages_ = 0, bytes_computed_ = 0;
  sim::SimTime unit_busy_;
};

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_ISC_CONTROLLER_GEMV_ENGINE_H_
