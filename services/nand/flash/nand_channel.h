// NandChannel: one flash channel — the shared ONFI/Toggle bus between the
// controller and the dies on it, plus the controller-side per-channel pieces
// that sit on that bus: the command sequencer and the LDPC engine.
//
// Ports:
//   "host"            the requester (controller): receives kNandRequest,
//                     sends kNandResponse.
//   "die0".."dieN-1"  one per die (kDieCommand / kBusDone out,
//                     kBusRequest / kDieOpDone in).
// Parameters (NandConfig): bus rate (MT/s x width), command/address cycles
//   and cycle time, ecc (LDPC latency model, retries).
// Behaviour:
//   - The bus carries one thing at a time: command/address cycles of a
//     request, a page's data-out, a page's data-in. A transfer of b bytes
//     takes TransferTime(b, MT/s x width). Order (channel_arbitration):
//     first come first served (ties in the kernel's event order), or
//     command-first: the oldest queued command/address cycles, if any, go
//     before queued transfers (none is interrupted).
//   - Requests for a die queue here; the next one is issued (its command
//     cycles enqueued on the bus) only when the die's previous request has
//     completed, decode and retries included. Exception: a read flagged
//     kFlagSuspend that arrives while the die's request in progress is a
//     program or erase (and no other such read is out, and no LDPC engine
//     would need retries) is issued at once; the die suspends the
//     operation for it. Its response goes out when the die has sent its
//     pages.
//   - Chips (geometry.dies_per_chip, chip_interleave): die d belongs to chip
//     d % chips. kMultiLun (default): a chip's dies are issued to
//     independently, as above. kChipSerial: a request is issued only when no
//     die of its chip has a request in progress; when the chip frees, its
//     waiting die whose request arrived first goes. Per-chip busy time (any
//     of its dies with a request in progress) is kept either way.
//   - LDPC (ecc.kind == kLdpc): one engine per channel, FIFO, after
//     data-out; latency from LdpcDecode. A page beyond its capability is
//     re-read from the array (read-retry, up to ecc.max_read_retries, each a
//     real command + array read + data-out); retries are issued after the
//     die finishes the request's stream. A page still failing counts as
//     uncorrectable.
//   - GEMV (kGemv): issued like a read; its only data-out is the die's
//     partial sums (no LDPC on them). Invalid without a PE array, with LDPC
//     (in-array compute needs on-die ECC), or with a tile larger than the
//     pages hold.
//   - Fidelity STREAM: a read is flagged kFlagStream (die runs it as one
//     event) only when the channel has a single die and no LDPC engine, so
//     nothing can contend for the bus during the run; otherwise PAGE. With
//     stream_serialises_dies (opt-in), a read on a multi-die channel also
//     streams when no other die is busy and the bus is idle; the other dies'
//     requests then wait until the stream has finished (dies take turns).
//   - Invalid requests (die, plane, block, page range, zero counts) are
//     answered at once with kInvalidRequest and change nothing.
// Lookahead: an arrival never makes the channel send to a die directly (only
//   the bus finishing a command or transfer does); a request is answered no
//   sooner than soonest_response_ (invalid ones exactly then); and it
//   promises the host no response sooner than its issued requests allow
//   (MinimumDieTime).
// Statistics: requests, commands, bus busy time, bytes out / in, partial-sum bytes, LDPC
//   decodes, iterations, busy time, read retries, uncorrectable pages,
//   reads issued to suspend a program / erase.
#ifndef STRATA_NAND_FLASH_NAND_CHANNEL_H_
#define STRATA_NAND_FLASH_NAND_CHANNEL_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "flash/nand_config.h"
#include "flash/nand_die.h"
#include "flash/nand_events.h"
#include "strata/sim/component.h"
#include "strata/sim/simulation.h"

namespace strata::nand {

class NandChannel final : public sim::Component {
 public:
  NandChannel(std::string name, const NandConfig& config);

  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;

  struct Stats {
    uint64_t requests = 0;
    uint64_t invalid_requests = 0;
    uint64_t commands = 0;
    uint64_t bytes_out = 0;
    uint64_t bytes_in = 0;
    uint64_t ldpc_decodes = 0;
    uint64_t ldpc_iterations = 0;
    uint64_t corrected_codewords = 0;
    uint64_t read_retries = 0;
    uint64_t uncorrectable_pages = 0;
    uint64_t partial_sum_bytes = 0;  // GEMV partial sums carried (also in bytes_out)
    uint64_t suspending_reads = 0;   // kFlagSuspend reads issued past a program / erase
    SimTime bus_busy;
    SimTime ldpc_busy;
    std::vector<SimTime> chip_busy;  // [chip]: time with any of its dies busy
  };
  const Stats& stats() const { return stats_; }
  uint32_t chips() const { return chips_; }
  // Time up to `now` with any die of `chip` busy, an interval still open included.
  SimTime ChipBusy(uint32_t chip, SimTime now) const {
    return stats_.chip_busy[chip] + (chip_busy_dies_[chip] > 0 ? now - chip_busy_since_[chip] : SimTime::Zero());
  }

 private:
  enum class JobKind : uint8_t { kCommand, kDataOut, kDataIn };
  struct BusJob {
    JobKind kind;
    uint32_t die;
    SimTime duration;
    NandRequest command;  // kCommand
    BusRequest data;      // kDataOut / kDataIn
  };
  struct Retry {
    uint32_t plane, block, page, level;
  };
  struct DieSlot {
    struct Waiting {
      NandRequest request;
      uint64_t arrival;  // arrival order on the channel (kChipSerial picks the oldest)
    };
    std::deque<Waiting> pending;
    bool busy = false;
    bool die_done = false;
    uint32_t decodes_pending = 0;
    NandRequest current;
    std::deque<Retry> retries;
    NandResponse response;
    // A kFlagSuspend read issued while `current` (a program or erase) runs.
    bool suspending_read_out = false;
    NandResponse suspending_read;
    // Lower bounds on when the response to `current` (and to the
    // suspending read) can leave: issue time + command cycles +
    // MinimumDieTime, or the die's done time once it is done.
    SimTime earliest_response;
    SimTime earliest_suspending_response;
  };

  void HandleEvent(const sim::Event& event);
  absl::Status CheckRequest(const NandRequest& r) const;
  bool CanSuspendFor(const NandRequest& r) const;
  void TryIssue(uint32_t die);
  // kChipSerial: the die of `die`'s chip to issue to next (its waiting
  // request arrived first), or -1 while a die of the chip is busy or none
  // waits.
  int NextDieOfChip(uint32_t die) const;
  // The chip's busy-die count and busy time (chip_busy), on a die's start / end.
  void DieStarted(uint32_t die);
  void DieEnded(uint32_t die);
  void IssueCommand(uint32_t die, const NandRequest& r);
  void EnqueueBus(BusJob job);
  void StartBus();
  bool BusBusy() const { return bus_end_event_ || ctx().Now() < bus_free_at_; }
  // Makes sure an event at bus_free_at_ starts the next waiting job.
  void WakeWhenBusFree();
  // What a job's end does, done at its start: sends reach the die `after`
  // from now, when the job ends.
  void EndBusJob(const BusJob& job, SimTime after);
  void StartLdpc();
  void MaybeComplete(uint32_t die);
  // Promises the host no response before the earliest one any issued
  // request can give, until a new request arrives (lookahead).
  void PromiseResponses();

  const NandConfig config_;
  const uint64_t bus_bytes_per_s_;
  // The soonest any request can be answered: its command cycles and the
  // fastest die time of any operation on one page. Invalid requests are
  // answered after it too, as a die reports a bad address no sooner than
  // it would have served a good one (assumption; it also lets the kernel
  // count on it as the reaction time of "host" to "host").
  SimTime soonest_response_;
  sim::PortId host_;
  std::vector<sim::PortId> die_ports_;
  std::vector<DieSlot> dies_;
  const uint32_t chips_;  // chips on this channel
  const bool chip_serial_;
  std::vector<uint32_t> chip_busy_dies_;
  std::vector<SimTime> chip_busy_since_;
  uint64_t arrivals_ = 0;
  // stream_serialises_dies: the die whose streamed read holds the channel, or -1.
  int streaming_die_ = -1;
  // The bus: jobs wait in bus_queue_; the one on it ends at bus_free_at_.
  // A job's end is an event only when something must happen then: an LDPC
  // data-out (bus_end_event_, its job in bus_current_) or jobs waiting for
  // the bus (bus_wake_pending_, a kBusFree).
  std::deque<BusJob> bus_queue_;
  SimTime bus_free_at_;
  bool bus_end_event_ = false;
  bool bus_wake_pending_ = false;
  BusJob bus_current_{};
  struct DecodeJob {
    uint32_t die;
    BusRequest data;
  };
  std::deque<DecodeJob> ldpc_queue_;
  bool ldpc_busy_ = false;
  Stats stats_;
};

// The NAND back end of one SSD: channels and their dies, in `sim`. Dies and
// their channel share a partition group ("nand_ch<c>"), so their zero-latency
// links never cross partitions. The caller links each channel's "host" port.
struct NandArray {
  std::vector<NandChannel*> channels;
  std::vector<std::vector<NandDie*>> dies;  // [channel][die]
};
// INVALID_ARGUMENT from ValidateNandConfig. `cancel` (may be null): CANCELLED
// soon after it turns true (checked per die and, inside a die, per plane), so
// a cancelled job stops building an array of up to 2^25 blocks at once.
absl::StatusOr<NandArray> BuildNandArray(const NandConfig& config, sim::Simulation* sim,
                                         const std::string& name_prefix = "nand",
                                         const std::atomic<bool>* cancel = nullptr);

}  // namespace strata::nand

#endif  // STRATA_NAND_FLASH_NAND_CHANNEL_H_
