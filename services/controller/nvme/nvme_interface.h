// NvmeInterface: the NVMe path between a host and an SSD — the host driver's
// submission/completion queue pair, the PCIe link, and the device's NVMe
// front end (command fetch, decode, DMA engine, completion posting).
//
// Hardware it stands for: one I/O queue pair of an NVMe SSD on a PCIe link,
// with the host CPU work at both ends. Every control-plane step is a named
// parameter, so the latency of one command splits into steps (NvmeStep) that
// add up exactly to its end-to-end latency.
//
// Ports:
//   "host"     the host workload: receives kNvmeSubmit, sends kNvmeComplete.
//   "backend"  the controller: sends kBackendRequest, receives kBackendResponse.
//
// A command's steps, in order (read; a write moves the DMA before the back end):
//   sq_wait       waiting on the host for a free submission-queue slot
//   host_submit   driver builds the 64 B SQE in host memory     (host_submit)
//   doorbell      SQ tail doorbell: 4 B posted MMIO write, downstream
//   fetch         device reads the SQE: MRd upstream, host memory read,
//                 64 B completion downstream
//   decode        controller firmware parses the command   (command_processing)
//   backend_link  controller interconnect, both ways (kernel link latency)
//   ftl           controller FTL work            (controller's parameter)
//   flash         first flash op issued .. last one done (channel queueing,
//                 command cycles, tR / tPROG, data-out / data-in, ECC)
//   dma_setup     DMA engine set-up (dma_setup), plus a PRP-list fetch round
//                 trip when the data spans more than two memory pages
//                 (NVMe PRP1/PRP2 rules)
//   dma_transfer  data over PCIe: read = posted MWr upstream; write = MRd
//                 upstream, host memory read, completions with data downstream
//   cqe           16 B completion entry: posted MWr upstream
//   notify        interrupt mode: 4 B MSI-X write upstream; polling: 0
//   host_complete interrupt mode: IRQ + ISR + wake-up (interrupt_handling);
//                 polling: the poll loop noticing the CQE (poll_detect)
// One SQE fetch per command (no batching of several SQEs per MRd); one
// interrupt per command (no coalescing).
//
// Several I/O queue pairs (queues > 1): the host driver spreads its
// submissions over them round robin, in submission order (command k goes
// to queue k mod queues, as submitting threads taking turns, one queue
// each, would); each queue has sq_depth entries, and a command whose queue
// is full waits on the host for a slot of that queue (sq_wait). The
// controller fetches with NVMe round-robin arbitration (NVMe 1.4 §4.13.1):
// its fetch engine takes the SQs with rung doorbells in turn, from each
// up to arbitration_burst SQEs in one MRd (a burst: the SQEs are
// contiguous in the queue, so one read of burst x 64 B), then moves to the
// next SQ; one burst is fetched at a time. The command's fetch step counts
// its wait for the arbiter. With one queue there is nothing to arbitrate:
// each SQE is fetched on its own doorbell, as above.
// Then the host writes the CQ head doorbell (4 B downstream; off the
// command's critical path, but it uses the link) and the slot is free.
//
// PCIe: each direction is one resource (PcieLinkModel for the times,
// LinkCalendar for who has it): a TLP waits for the ones already reserved;
// its time on the wire and the one-way latency count in the step that sent
// it.
// Events: the steps before the back end are computed together when the
// command is admitted (its TLPs reserved then, up to a few us ahead), and
// the steps after it when the back end answers; so a command costs the
// submission, the back-end request and response, one event at its
// completion and the completion sent to the host (was one event a step).
// Against one event a step, only the order of TLPs competing for the link
// can differ: on random 4 KiB reads at QD 32 request counts moved by 0.1%
// and mean latency by 0.1% (docs/ssd-validation.md, "Cost"). Host CPU work is not a shared resource (one core
// per queue; no CPU contention modelled).
//
// Parameters (NvmeConfig below: unit, default, source or *typical*).
// Statistics: commands and bytes by kind, latency sum/min/max by kind, mean
//   time per step by kind, SQ occupancy (max, time-weighted mean), host-side
//   waiters (max), PCIe bytes and busy time per direction.
#ifndef STRATA_CONTROLLER_NVME_NVME_INTERFACE_H_
#define STRATA_CONTROLLER_NVME_NVME_INTERFACE_H_

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "nvme/link_calendar.h"
#include "nvme/nvme_events.h"
#include "nvme/pcie_link.h"
#include "strata/sim/component.h"

namespace strata::controller {

enum class CompletionMode : uint8_t { kInterrupt, kPolling };

struct NvmeConfig {
  // Submission (and completion) queue entries. NVMe allows 2..65536; the
  // Linux driver's default I/O queue depth is 1024 (io_queue_depth).
  uint32_t sq_depth = 1024;
  PcieConfig pcie;
  // Logical block size: 4096 B LBA format (the usual NVMe format).
  uint32_t lba_bytes = 4096;
  // Host memory page for PRPs: CC.MPS = 0 -> 4 KiB (NVMe base spec).
  uint32_t memory_page_bytes = 4096;
  // Entry and register sizes (NVMe base spec): SQE 64 B, CQE 16 B,
  // doorbells are 32-bit registers; an MSI-X message writes one DWORD;
  // a PRP list entry is 8 B.
  uint32_t sqe_bytes = 64;
  uint32_t cqe_bytes = 16;
  uint32_t doorbell_bytes = 4;
  uint32_t msix_bytes = 4;
  uint32_t prp_entry_bytes = 8;
  // Host driver submission path (block layer + NVMe driver: build the SQE,
  // ring the doorbell). *typical*: ~1 us; Yang et al. "When poll is better
  // than interrupt" (FAST'12) measure several us of OS overhead per I/O.
  SimTime host_submit = SimTime::Microseconds(1);
  // Host DRAM read behind the root complex, for device MRds. *typical*.
  SimTime host_memory_read_latency = SimTime::Nanoseconds(100);
  // Controller firmware parsing one SQE. *typical* (assumption).
  SimTime command_processing = SimTime::Nanoseconds(500);
  // DMA engine descriptor set-up per command. *typical* (assumption).
  SimTime dma_setup = SimTime::Nanoseconds(200);
  CompletionMode completion = CompletionMode::kInterrupt;
  // IRQ delivery + ISR + CQ scan + waking the submitter (context switch).
  // *typical*: a few us on Linux (Yang et al., FAST'12).
  SimTime interrupt_handling = SimTime::Microseconds(2);
  // A spinning poll loop seeing the new CQE. *typical* (assumption).
  SimTime poll_detect = SimTime::Nanoseconds(200);
  // Keep every command's step breakdown (tests, small runs).
  bool record_commands = false;
  // I/O submission/completion queue pairs, each of sq_depth entries. NVMe
  // allows up to 65535; Linux creates one per CPU. 1: today's single pair.
  uint32_t queues = 1;
  // Round-robin arbitration burst: SQEs the controller fetches from one SQ
  // per turn (NVMe 1.4 Arbitration feature, AB: 2^AB commands, 1 to 128).
  // The reset value is implementation specific; assumption: 1, one command
  // per turn (plain round robin).
  uint32_t arbitration_burst = 1;
};

// INVALID_ARGUMENT naming the field, its value and the allowed range.
absl::Status ValidateNvmeConfig(const NvmeConfig& config);

enum NvmeStep : uint8_t {
  kStepSqWait,
  kStepHostSubmit,
  kStepDoorbell,
  kStepFetch,
  kStepDecode,
  kStepBackendLink,
  kStepFtl,
  kStepFlash,
  kStepDmaSetup,
  kStepDmaTransfer,
  kStepCqe,
  kStepNotify,
  kStepHostComplete,
  kNvmeSteps,
};
std::string_view NvmeStepName(NvmeStep step);

class NvmeInterface final : public sim::Component {
 public:
  // `config` must have passed ValidateNvmeConfig.
  NvmeInterface(std::string name, const NvmeConfig& config);

  void Handle(const sim::Event& event) override;
  void Finish() override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;

  struct CommandRecord {
    uint64_t cid = 0;
    NvmeOpcode opcode = NvmeOpcode::kRead;
    NvmeStatus status = NvmeStatus::kSuccess;
    uint64_t bytes = 0;
    uint32_t queue = 0;  // its I/O queue pair
    SimTime submitted;
    SimTime completed;
    std::array<SimTime, kNvmeSteps> steps{};
    SimTime latency() const { return completed - submitted; }
  };
  struct KindStats {
    uint64_t commands = 0;
    uint64_t errors = 0;
    uint64_t bytes = 0;
    SimTime latency_sum;
    SimTime latency_min = SimTime::Infinite();
    SimTime latency_max;
    std::array<SimTime, kNvmeSteps> step_sum{};
  };
  struct Stats {
    KindStats read, write;
    uint32_t sq_max = 0;
    uint64_t host_waiters_max = 0;
    SimTime sq_occupancy_integral;  // sum of occupancy x time, in ps
    SimTime last_change;
    std::array<uint64_t, 2> pcie_wire_bytes{};  // [0] downstream, [1] upstream
    std::array<SimTime, 2> pcie_busy{};
    std::vector<uint64_t> commands_per_queue;  // completed, by queue
    uint64_t fetch_bursts = 0;                 // queues > 1: MRds of the arbiter
  };
  const Stats& stats() const { return stats_; }
  const std::vector<CommandRecord>& records() const { return records_; }
  const PcieLinkModel& pcie() const { return pcie_; }
  double MeanSqOccupancy() const;

 private:
  enum class Phase : uint8_t {
    kSubmitSw, kDoorbell, kFetchRequest, kFetchMemory, kFetchCompletion, kDecode, kBackend,
    kDmaSetupSw, kPrpRequest, kPrpMemory, kPrpCompletion,
    kDataPosted, kDataRequest, kDataMemory, kDataCompletion,
    kCqe, kMsix, kHostComplete,
  };
  // The longest program: fetch (6), back end, DMA with a PRP list (5),
  // data (3), CQE, MSI-X, host completion.
  static constexpr size_t kMaxPhases = 18;
  struct Slot {
    CommandRecord rec;
    NvmeSubmit cmd;
    std::array<Phase, kMaxPhases> program;
    uint8_t phases = 0;  // program[0, phases); 0 = the slot is free
    uint8_t pc = 0;
    SimTime phase_start;  // of the back-end phase; queues > 1: also of the wait for the arbiter
    bool fetch_granted = false;  // queues > 1: the arbiter has taken its SQE
    void Add(Phase p) { program[phases++] = p; }
  };
  enum Dir : uint8_t { kDown = 0, kUp = 1 };

  void Admit(const NvmeSubmit& cmd, SimTime submitted, uint32_t queue);
  // queues > 1: fetches the next burst (round robin over the SQs with SQEs
  // waiting) unless one is in flight; its commands run on from its end.
  void Arbitrate();
  // Runs the slot's phases from its pc, each starting at the end of the one
  // before, the first at `start`, until the back end (sends its request)
  // or the end of the program (one event at the command's completion).
  void RunPhases(uint32_t slot, SimTime start);
  // `sqes`: the SQEs a fetch completion carries (an arbitration burst's).
  SimTime PhaseDuration(const Slot& slot, Phase phase, SimTime start, uint32_t sqes = 1);
  // Host memory pages the command's data spans (PRP1/PRP2 rules).
  uint64_t MemoryPages(const Slot& slot) const {
    return (slot.rec.bytes + config_.memory_page_bytes - 1) / config_.memory_page_bytes;
  }
  void Complete(uint32_t slot);
  // Reserves the direction for `payload` bytes ready at `ready`; returns the
  // arrival time - ready.
  SimTime Transfer(Dir dir, SimTime ready, uint64_t payload);
  void TrackOccupancy();
  static NvmeStep StepOf(Phase phase);

  const NvmeConfig config_;
  const PcieLinkModel pcie_;
  sim::PortId host_;
  sim::PortId backend_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;  // stack; popped from the back
  struct Waiter {
    NvmeSubmit cmd;
    SimTime submitted;
  };
  std::vector<std::deque<Waiter>> waiters_;  // [queue]
  std::vector<uint32_t> queue_occupancy_;    // [queue]
  uint64_t waiting_ = 0;                     // host-side waiters, all queues
  uint64_t next_queue_ = 0;                  // round robin over the queues
  std::vector<std::deque<uint32_t>> to_fetch_;  // [queue]: rung slots awaiting the arbiter
  uint32_t arbiter_turn_ = 0;
  bool fetching_ = false;
  std::array<LinkCalendar, 2> link_;
  uint32_t occupancy_ = 0;
  Stats stats_;
  std::vector<CommandRecord> records_;
};

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_NVME_NVME_INTERFACE_H_
