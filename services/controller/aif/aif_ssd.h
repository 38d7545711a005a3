// AifSsd: AiF's in-flash-processing SSD as seen through its two NVMe vendor
// commands (ISCA'25; REFERENCE.md "AiF's published system"):
//   aif_post  the host sends a weight matrix; the controller allocates IFP
//             blocks and programs the weights be-enc coded, LSB pages only,
//             block-contiguous, striped over every die.
//   aif_gemv  the host sends (matrix id, input vector, output rows); the
//             controller DMAs the vector in, loads it into every die's page
//             buffers, sends each die one kGemv per IFP block of its share
//             (planes stream the weights, cr-read, ECCLITE, PE MACs),
//             gathers the partial sums, reduces them and DMAs the result out.
//
// Hardware it stands for: one NVMe queue pair on PCIe (host driver at both
// ends, as NvmeInterface), the controller firmware that runs the vendor
// commands, and its flash interface to the NAND channels. It is a separate
// component from NvmeInterface + SsdController: AiF's IFP blocks are placed
// by their own allocator (below), not PageFtl's round-robin over planes,
// because a die's share must sit at the same block index on all its planes
// for one multi-plane kGemv to stream it.
//
// Ports:
//   "host"             AifHost: receives kAifSubmit, sends kAifComplete.
//   "ch0".."ch<C-1>"   NandChannel "host" ports: kNandRequest / kNandResponse.
//
// Placement (aif_post of a rows x cols INT8 matrix):
//   - rows split over the D dies in order: die d gets rows
//     [d * ceil(rows / D), ...) (the last dies may get fewer or none).
//   - a die's share fills IFP blocks at the same block index on all its
//     planes (a "block group"); a group holds floor(G / cols) whole rows,
//     G = planes x weight pages per block x page_bytes, weight pages per
//     block = wordlines (be-enc: LSB only, page stride 3) or all pages
//     (conventional, AiF-- baseline). Rows never straddle a block, so every
//     block is one kGemv tile (output_rows x vector_dim).
//   - within a block the weights stream step-major, plane-minor (the NAND
//     model's GEMV layout); a block of one step uses only the planes it needs.
//   - blocks are taken from block 0 up on every die, never reused (no
//     release, no GC interaction: the drive holds only IFP data here).
//   - the weights are DMAed in program units (one multi-plane page step of
//     one die, planes x 16 KiB), step-major over the dies, one PCIe read
//     each; a unit's multi-plane LSB program goes to its die as soon as it
//     has arrived (controller DRAM staging buffer, not bounded: the link
//     outruns the programs); the command completes when every program has
//     finished.
//
// A command's steps (AifStep), in order; they add up exactly to its latency:
//   sq_wait       waiting for the previous vendor command (one at a time)
//   host_submit   driver builds the SQE                       (nvme.host_submit)
//   doorbell      SQ tail doorbell, 4 B posted MMIO write
//   fetch         SQE read: MRd up, host memory, 64 B completion down
//   decode        firmware parses the command          (nvme.command_processing)
//   firmware      post: IFP block allocation; gemv: matrix lookup and
//                 per-die request build                 (firmware_per_command)
//   dma_setup     DMA descriptors (nvme.dma_setup) + one PRP-list fetch round
//                 trip per data buffer larger than two memory pages
//   vector_in     gemv: input vector MRd up, host memory, data down
//   vector_load   gemv: vector into every die's page buffers: per channel,
//                 dies_per_channel x (program command cycles + vector bytes
//                 at the channel rate); channels in parallel
//   place         post: weights DMA (pipelined) + be-enc LSB programs, from
//                 the first MRd to the last program done
//   flash         gemv: first kGemv sent .. last partial sums received
//                 (controller<->channel link, command cycles, tR / cr-read,
//                 ECCLITE, PE MACs, partial sums over the channel)
//   reduce        gemv: controller combines the gathered INT32 partial sums
//                 into the output vector (partial-sum bytes / reduce rate)
//   dma_out       gemv: result vector, posted MWr up
//   cqe, notify, host_complete   as NvmeInterface
//
// Parameters: AifSsdConfig (unit, default, source or *typical*).
// Statistics: commands by kind, errors, latency sum per kind, step sums per
//   kind, IFP blocks placed, weight bytes placed, partial-sum bytes.
#ifndef STRATA_CONTROLLER_AIF_AIF_SSD_H_
#define STRATA_CONTROLLER_AIF_AIF_SSD_H_

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "flash/nand_channel.h"
#include "flash/nand_config.h"
#include "flash/nand_events.h"
#include "nvme/nvme_interface.h"
#include "nvme/pcie_link.h"
#include "strata/sim/component.h"
#include "strata/sim/simulation.h"

namespace strata::controller {

enum AifEventType : sim::EventType {
  kAifSubmit = 0x4380,
  kAifComplete,
  // Self-scheduled.
  kAifPhaseDone,
  kAifChunkArrived,
};

// Vendor-specific admin/I-O opcodes are C0h-FFh (NVMe base spec); AiF does
// not publish its values: these two are our choice.
enum class AifOpcode : uint8_t { kPost = 0xC1, kGemv = 0xC2 };

enum class AifStatus : uint8_t {
  kSuccess = 0,
  kInvalidField = 1,      // zero rows/cols, cols larger than a block group, unknown matrix
  kCapacityExceeded = 2,  // not enough free IFP blocks on some die
  kFlashError = 3,        // a NAND request failed (uncorrectable or invalid)
};

struct AifSubmit {
  uint64_t cid = 0;
  AifOpcode opcode = AifOpcode::kPost;
  uint32_t matrix = 0;  // gemv: id returned by the post
  uint32_t rows = 0;    // post: matrix rows (= gemv output rows)
  uint32_t cols = 0;    // post: matrix columns (= gemv vector dimension, INT8)
};

// The two commands as a host builds them.
inline AifSubmit AifPostCommand(uint32_t rows, uint32_t cols, uint64_t cid = 0) {
  AifSubmit s;
  s.cid = cid;
  s.opcode = AifOpcode::kPost;
  s.rows = rows;
  s.cols = cols;
  return s;
}
inline AifSubmit AifGemvCommand(uint32_t matrix, uint64_t cid = 0) {
  AifSubmit s;
  s.cid = cid;
  s.opcode = AifOpcode::kGemv;
  s.matrix = matrix;
  return s;
}

struct AifComplete {
  uint64_t cid = 0;
  uint32_t matrix = 0;  // post: the new matrix id
  AifStatus status = AifStatus::kSuccess;
  // The command's flash step (gemv: first kGemv sent .. last partial sums;
  // post: its place step) and its whole latency, so a host can split its
  // time into flash and control plane without reading the SSD's records.
  int64_t flash_ps = 0;
  int64_t latency_ps = 0;
};

static_assert(std::is_trivially_copyable_v<AifSubmit> && sizeof(AifSubmit) <= sim::kEventPayloadBytes);
static_assert(std::is_trivially_copyable_v<AifComplete> && sizeof(AifComplete) <= sim::kEventPayloadBytes);

enum AifStep : uint8_t {
  kAifSqWait,
  kAifHostSubmit,
  kAifDoorbell,
  kAifFetch,
  kAifDecode,
  kAifFirmware,
  kAifDmaSetup,
  kAifVectorIn,
  kAifVectorLoad,
  kAifPlace,
  kAifFlash,
  kAifReduce,
  kAifDmaOut,
  kAifCqe,
  kAifNotify,
  kAifHostComplete,
  kAifSteps,
};
std::string_view AifStepName(AifStep step);

struct AifSsdConfig {
  nand::NandConfig nand = nand::AifDefaultNandConfig();
  // Host driver, PCIe link and NVMe front-end costs (their defaults and
  // sources in nvme_interface.h / pcie_link.h). Only the fields the vendor
  // commands use are read: pcie, memory_page_bytes, sqe/cqe/doorbell/msix/
  // prp_entry bytes, host_submit, host_memory_read_latency,
  // command_processing, dma_setup, completion, interrupt_handling,
  // poll_detect.
  NvmeConfig nvme;
  // Controller firmware per vendor command (IFP allocation, or the per-die
  // GEMV request build). *typical* (assumption): same 500 ns as the FTL's
  // per-command cost (ssd_controller.h).
  SimTime firmware_per_command = SimTime::Nanoseconds(500);
  // Controller core combining INT32 partial sums. *typical* (assumption):
  // an embedded controller core streaming 4 GB/s through its DRAM.
  uint64_t reduce_bytes_per_s = 4'000'000'000;
  // (The result DMAed to the host is one INT32 accumulator per output row,
  // nand.pe.accumulator_bytes = 4; dequantisation is left to the host.)
  // AiF's be-enc + LSB-only placement (true) or the AiF-- baseline (false:
  // default (2,3,2) coding, every page of a block holds weights).
  bool be_enc = true;
  // Controller <-> flash-channel sequencer, on chip (as ssd_system.h).
  SimTime channel_link = SimTime::Nanoseconds(10);
  bool record_commands = true;
};

// INVALID_ARGUMENT naming the field: nvme (ValidateNvmeConfig), nand
// (ValidateNandConfig), reduce_bytes_per_s 0, channel_link <= 0, be_enc on
// non-TLC, pe.placement none.
absl::Status ValidateAifSsdConfig(const AifSsdConfig& config);

class AifSsd final : public sim::Component {
 public:
  // `config` must have passed ValidateAifSsdConfig.
  AifSsd(std::string name, const AifSsdConfig& config);

  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;

  struct CommandRecord {
    uint64_t cid = 0;
    AifOpcode opcode = AifOpcode::kPost;
    AifStatus status = AifStatus::kSuccess;
    uint32_t matrix = 0;
    uint64_t data_bytes = 0;          // post: weight bytes; gemv: vector bytes
    uint64_t partial_sum_bytes = 0;   // gemv
    uint32_t nand_requests = 0;
    SimTime submitted;
    SimTime completed;
    std::array<SimTime, kAifSteps> steps{};
    SimTime latency() const { return completed - submitted; }
  };
  struct Extent {
    uint32_t die = 0;      // global: channel * dies_per_channel + die
    uint32_t block = 0;
    uint32_t steps = 0;    // page steps (each = plane_count pages)
    uint32_t planes = 0;
    uint32_t rows = 0;
    uint64_t bytes = 0;
  };
  struct Matrix {
    uint32_t rows = 0;
    uint32_t cols = 0;
    std::vector<Extent> extents;  // in DMA order (block index major, die minor)
  };
  struct Stats {
    uint64_t posts = 0, gemvs = 0, errors = 0;
    uint64_t ifp_blocks = 0;         // block groups x planes used
    uint64_t weight_bytes = 0;
    uint64_t partial_sum_bytes = 0;
    SimTime post_latency_sum, gemv_latency_sum;
  };
  const Stats& stats() const { return stats_; }
  const std::vector<CommandRecord>& records() const { return records_; }
  const std::vector<Matrix>& matrices() const { return matrices_; }
  // Weights one block group holds at most (planes x weight pages x page).
  uint64_t BlockGroupBytes() const;

 private:
  enum class Phase : uint8_t {
    kSubmitSw, kDoorbell, kFetchRequest, kFetchMemory, kFetchCompletion, kDecode, kFirmware,
    kDmaSetupSw, kPrpRequest, kPrpMemory, kPrpCompletion,
    kVecRequest, kVecMemory, kVecCompletion, kVectorLoad, kPlace, kFlash, kReduce, kDmaOut,
    kCqe, kMsix, kHostComplete,
  };
  enum Dir : uint8_t { kDown = 0, kUp = 1 };

  void Start(const AifSubmit& cmd, SimTime submitted);
  void BuildProgram();
  void StartPhase();
  void EndPhase();
  void Complete(AifStatus status);
  void StartPlace();
  void StartFlash();
  void OnNandResponse(const nand::NandResponse& r);
  AifStatus Allocate(uint32_t rows, uint32_t cols, Matrix* out);
  // Reserves `dir` for `payload` bytes from `earliest`; returns the arrival.
  SimTime Reserve(Dir dir, uint64_t payload, SimTime earliest);
  SimTime Transfer(Dir dir, uint64_t payload) { return Reserve(dir, payload, ctx().Now()) - ctx().Now(); }
  static AifStep StepOf(Phase phase);
  void SendNand(uint32_t die, nand::NandRequest r);

  const AifSsdConfig config_;
  const nand::NandGeometry geo_;
  const PcieLinkModel pcie_;
  sim::PortId host_;
  std::vector<sim::PortId> channel_ports_;
  std::array<SimTime, 2> link_free_{};
  std::vector<uint32_t> next_block_;  // per die
  std::vector<Matrix> matrices_;

  bool busy_ = false;
  struct Waiting {
    AifSubmit cmd;
    SimTime submitted;
  };
  std::deque<Waiting> waiting_;
  AifSubmit cmd_{};
  CommandRecord rec_{};
  Matrix pending_matrix_{};
  struct Chunk {  // aif_post: one program unit of weights
    uint32_t die = 0, block = 0, page = 0, planes = 0;
    uint64_t bytes = 0;
  };
  std::vector<Chunk> chunks_;
  std::vector<Phase> program_;
  uint32_t pc_ = 0;
  uint32_t prp_fetches_done_ = 0;
  std::vector<uint64_t> prp_lists_;  // PRP-list bytes per buffer that needs one
  SimTime phase_start_;
  uint32_t nand_pending_ = 0;
  uint64_t next_nand_id_ = 1;
  bool nand_failed_ = false;

  Stats stats_;
  std::vector<CommandRecord> records_;
};

// A scripted host: submits its commands one at a time (queue depth 1, the
// next at the previous one's completion) and records each completion.
// Port "ssd".
class AifHost final : public sim::Component {
 public:
  AifHost(std::string name, std::vector<AifSubmit> script);
  void Init() override;
  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;

  struct Done {
    AifComplete completion;
    SimTime submitted, completed;
  };
  const std::vector<Done>& done() const { return done_; }

 private:
  void Issue();
  sim::PortId ssd_;
  std::vector<AifSubmit> script_;
  size_t next_ = 0;
  SimTime submitted_;
  std::vector<Done> done_;
};

// Wires AifHost.ssd -- AifSsd.host (latency 0, group "aif") and
// AifSsd.ch<c> -- NandChannel<c>.host (channel_link; groups "nand_ch<c>").
struct AifSystem {
  AifHost* host = nullptr;
  AifSsd* ssd = nullptr;
  nand::NandArray nand;
};
absl::StatusOr<AifSystem> BuildAifSsd(const AifSsdConfig& config, std::vector<AifSubmit> script,
                                      sim::Simulation* sim);

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_AIF_AIF_SSD_H_
