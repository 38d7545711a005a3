// NandDie: one NAND die (one chip in AiF's SSD) — its planes, their page and
// cache registers, the array read/program/erase sequencer, and the on-die
// ECCLITE decoder.
//
// Ports:
//   "channel"  to its NandChannel: receives kDieCommand and kBusDone, sends
//              kBusRequest and kDieOpDone.
// Parameters (NandConfig; sources in nand_config.h): geometry, timing
// (t_PRE, t_SENSE per level, t_DISCH, t_RECY, tPROG, tBERS, cache_read,
// cr_read), ecc (ECCLITE t and rate), reliability (RBER model).
// Behaviour:
//   - One command at a time, FIFO (the channel sends the next only after the
//     previous is done). Multi-plane: the planes of a command read/program/
//     erase in lockstep; a step's array time is the slowest plane's.
//   - Cache read: once page n moves from the page register to the cache
//     register, the array reads page n+1 while page n is decoded and
//     transferred. Without it, page n+1 waits until page n is out.
//   - cr-read: a plane's read is charge-recycled (t_RECY + levels * t_SENSE)
//     when it reads the next wordline of the same block as that plane's
//     previous read, with no program, erase or read-retry on the plane since.
//   - Bit errors per 1 KiB codeword are drawn when the array read ends, from
//     the block's wear (P/E cycles, retention, reads since programmed).
//   - ECCLITE (ecc.kind == kEccLite): one decoder per die, page_bytes / 6.4
//     GB/s per page, between the cache register and data-out; codewords with
//     more than t errors are counted as failed (the page is uncorrectable).
//   - GEMV (NandOp::kGemv, config.pe): the planes stream the pages as a read
//     does; a page in the cache register goes to its PE array (one per die,
//     FIFO over planes, or one per plane) where the ECC check (ECCLITE rate,
//     or none) runs in parallel with the multiply, so a page occupies the
//     array for max(ECC, PE) with PE = ceil(weights / macs_per_cycle) cycles
//     at clock_hz, weights = page_bytes * 8 / operand bits. The page buffer
//     frees when its page is computed. After the last page the die sends
//     output_rows x accumulator_bytes of partial sums over the channel, or
//     over the dedicated output path (NVLLM) at output_path_bytes_per_s.
//   - Fidelity STREAM: a GEMV's pages (die-local until the partial sums) and
//     a read the channel flagged kFlagStream (no other die can contend) run
//     as one event at a completion time computed by the same pipeline rules
//     (array step, register move, decoder/PE FIFO, bus FIFO) without events
//     (stream_pipeline.h), so times and every count but the bit errors equal
//     PAGE's exactly. Bit errors are drawn per run (DrawRunErrors: the same
//     law in aggregate), since no STREAM timing depends on them (a read
//     with LDPC never streams).
//   - Suspend: a kDieCommand read flagged kFlagSuspend that arrives while a
//     program's tPROG or an erase's tBERS runs suspends it: after
//     timing.program_suspend (erase_suspend) the read runs as a command of
//     its own; when it ends, the operation resumes and finishes
//     timing.suspend_resume plus the time it had left later. A flagged read
//     that finds no array operation to suspend (e.g. a program still taking
//     its data in) runs next, as any command.
// Statistics: commands, pages read / programmed, blocks erased, cr-reads,
//   retry reads, bytes out / in, bit errors, ECCLITE corrected codewords and
//   failed pages, die busy time, array busy time (sum over planes); GEMV:
//   pages computed, MACs, PE busy time (sum over PE arrays, multiply time
//   only), partial-sum bytes; stream runs; program and erase suspensions.
#ifndef STRATA_NAND_FLASH_NAND_DIE_H_
#define STRATA_NAND_FLASH_NAND_DIE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "flash/nand_config.h"
#include "flash/nand_events.h"
#include "flash/page_coding.h"
#include "flash/reliability.h"
#include "strata/sim/component.h"

namespace strata::nand {

// A lower bound on a request's time at a die, from its command's arrival to
// its pages' last stage, from the timing parameters alone: the die's own
// pipeline (stream_pipeline.h) at the fastest step times its pages allow
// (any coding, cr-read wherever possible), with nothing contending; a
// program or erase takes its array time. The channel promises its
// responses no sooner (lookahead, see sim::Context::PromiseNoOutputBefore);
// the kernel checks every response against it, so a bound that is too
// high fails the run instead of passing.
SimTime MinimumDieTime(const NandConfig& config, const NandRequest& request);
// Bytes of each page a request moves over the channel: a read's read_bytes
// rounded up to whole ECC codewords (at most the page), else the page.
uint32_t DataOutBytes(const NandConfig& config, const NandRequest& request);

class NandDie final : public sim::Component {
 public:
  // `config` must have passed ValidateNandConfig. `cancel` (may be null):
  // when it turns true the constructor stops filling the block table at the
  // next plane, and cancelled() tells the builder to discard this die (one
  // die may hold all 2^25 blocks of an array: seconds of filling).
  NandDie(std::string name, const NandConfig& config, const std::atomic<bool>* cancel = nullptr);
  // The simulator memory one block's wear state costs (the admission
  // estimate counts it per block of the array).
  static constexpr size_t BlockStateBytes() { return sizeof(BlockState); }
  // True when construction stopped early on `cancel`: the die is unusable.
  bool cancelled() const { return blocks_.size() < config_.geometry.planes_per_die; }

  // Pre-conditioning before the run (a drive's history): block coding and wear.
  void SetBlockCoding(uint32_t plane, uint32_t block, BlockCoding coding);
  void SetBlockWear(uint32_t plane, uint32_t block, uint32_t pe_cycles, uint32_t reads);
  BlockCoding block_coding(uint32_t plane, uint32_t block) const { return blocks_[plane][block].coding; }
  uint32_t block_pe_cycles(uint32_t plane, uint32_t block) const { return blocks_[plane][block].pe_cycles; }

  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;

  struct Stats {
    uint64_t commands = 0;
    uint64_t pages_read = 0;
    uint64_t cr_reads = 0;
    uint64_t retry_reads = 0;
    uint64_t pages_programmed = 0;
    uint64_t blocks_erased = 0;
    uint64_t bytes_out = 0;
    uint64_t bytes_in = 0;
    uint64_t bit_errors = 0;
    uint64_t ecclite_corrected_codewords = 0;
    uint64_t ecclite_failed_codewords = 0;
    uint64_t ecclite_failed_pages = 0;
    uint64_t pages_computed = 0;
    uint64_t macs = 0;
    uint64_t partial_sum_bytes = 0;
    uint64_t stream_runs = 0;
    uint64_t program_suspends = 0;
    uint64_t erase_suspends = 0;
    SimTime busy;        // a command in progress
    SimTime array_busy;  // summed over planes
    SimTime pe_busy;     // summed over PE arrays
  };
  const Stats& stats() const { return stats_; }

 private:
  struct BlockState {
    uint32_t pe_cycles = 0;
    uint32_t reads = 0;  // since programmed or erased (read disturb)
    BlockCoding coding = BlockCoding::kDefault;
    bool programmed_in_run = false;
    SimTime programmed_at;
    // Same RBER for every page of the same type (STREAM draws them together).
    bool SameWear(const BlockState& o) const {
      return pe_cycles == o.pe_cycles && reads == o.reads && coding == o.coding &&
             programmed_in_run == o.programmed_in_run && programmed_at == o.programmed_at;
    }
  };
  struct PlaneState {
    bool cr_valid = false;
    uint32_t last_block = 0;
    uint32_t last_wordline = 0;
    // Page register (array output) and cache register (toward the bus).
    PageErrors data_errors;
    uint32_t data_page = 0;
    bool cache_full = false;
    PageErrors cache_errors;
    uint32_t cache_page = 0;
  };

  struct PeUnit {
    bool busy = false;
    std::deque<uint32_t> queue;  // planes whose cache register awaits this PE array
  };

  // Suspend: the array operation (tPROG / tBERS) in progress and one held
  // while a read is served. Done events carry the epoch they were scheduled
  // in; a suspension starts a new one, so the old event is ignored.
  struct Suspended {
    NandRequest cur;
    uint32_t next_step = 0;
    DieOpDone done;
    SimTime remaining;
  };
  void ScheduleArrayOp(SimTime duration, NandEventType done);
  bool TrySuspend(const NandRequest& read);
  void Resume();

  void StartNext();
  void EndCommand();  // (not Finish: that is Component's end-of-run hook)
  SimTime DrawArrayStep(SimTime at);
  void StartArrayStep();
  void RunStream();
  void StartCompute(uint32_t unit);
  void AccountEcc(const PageErrors& pe);
  void AccountCompute();
  void SendPartialSums();
  uint32_t UnitOf(uint32_t plane) const { return config_.pe.placement == PePlacement::kPerPlane ? plane : 0; }
  void TryAdvanceRead();
  // Decodes the plane's cache register after those before it and asks for
  // its data-out when the decode ends.
  void DecodeThenRequestDataOut(uint32_t plane);
  // Asks the channel to move the plane's cache register out, `after` from now.
  void RequestDataOut(uint32_t plane, SimTime after = SimTime::Zero());
  void RequestDataIn();
  bool CacheEmpty() const;
  double RetentionYears(const BlockState& b, SimTime at) const;
  uint32_t PageOf(uint32_t step) const { return cur_.page + step * cur_.page_stride; }

  const NandConfig config_;
  const RberModel rber_;
  PageErrorSampler error_sampler_;
  RunErrorSampler run_error_sampler_;  // STREAM
  const uint64_t weights_per_page_;  // page_bytes * 8 / operand bits
  const SimTime pe_page_time_;       // multiply time of one page
  const SimTime compute_page_time_;  // max(ECC check, multiply): a page's hold on its PE array
  sim::PortId channel_;
  std::vector<std::vector<BlockState>> blocks_;  // [plane][block]
  std::vector<PlaneState> planes_;

  std::deque<NandRequest> queue_;
  bool active_ = false;
  NandRequest cur_;
  SimTime started_;
  // Read / program sequencing of the current command.
  uint32_t next_step_ = 0;       // next array step to start
  bool array_busy_ = false;
  bool data_full_ = false;       // page registers of the command's planes hold a step
  uint32_t transfers_done_ = 0;  // plane-pages moved over the bus
  // The on-die ECCLITE decoder decodes one cache register at a time, in the
  // order they fill; it is free from this time on.
  SimTime decoder_free_at_;
  std::vector<PeUnit> units_;
  uint32_t computed_ = 0;  // plane-pages of the current GEMV computed
  uint32_t full_caches_ = 0;  // the command's planes whose cache register holds a page
  std::vector<uint32_t> units_to_start_;  // PE arrays that may have become startable
  DieOpDone done_;
  bool array_op_pending_ = false;  // a kProgramDone / kEraseDone of array_epoch_ is scheduled
  uint32_t array_epoch_ = 0;
  SimTime array_op_end_;
  bool suspended_ = false;
  Suspended held_;
  Stats stats_;
};

}  // namespace strata::nand

#endif  // STRATA_NAND_FLASH_NAND_DIE_H_
