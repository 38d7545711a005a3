// SsdController: the SSD controller's back end — firmware FTL, the per-die
// transaction queues, and the flash interface that sends page reads,
// programs and erases to the NAND channels.
//
// Hardware it stands for: the layers of MQSim's stack between the host
// interface and the chips: FTL (PageFtl: mapping, GC, wear levelling), the
// transaction scheduling unit (one queue per die), and the flash controllers
// (one NandChannel per channel, in services/nand).
//
// Ports:
//   "frontend"          the NVMe interface: receives kBackendRequest, sends
//                       kBackendResponse when every flash op of the command
//                       has finished.
//   "ch0".."ch<C-1>"    one per NAND channel ("host" port of NandChannel):
//                       sends kNandRequest, receives kNandResponse.
//
// Behaviour:
//   - A command covers LBAs [slba, slba + nlb); with lba_bytes-sized LBAs
//     and page_bytes flash pages it touches logical pages
//     floor(slba * lba / page) .. floor(((slba + nlb) * lba - 1) / page).
//     Each is one PageFtl::Read or ::Write; a write's FlashOps include any GC
//     or wear-levelling copies and erases it triggers (foreground GC: the
//     command completes only when they are done too). A sub-page write
//     programs the whole page (no read-modify-write; a write buffer is not
//     modelled). A read of a never-written page returns zeros without
//     flash access.
//   - The FTL's work costs ftl_per_command of firmware time, after which the
//     command's FlashOps enter the queues of their dies, in FTL order.
//   - FTL allocation units map to hardware channel-first so round-robin
//     striping spreads consecutive pages over channels, then dies, then
//     planes: unit u -> channel u % C, die (u / C) % D, plane u / (C * D).
//   - Per die at most max_outstanding_per_die requests are at the channel.
//     The die's queue (scheduler):
//     kFifo: the FTL's order, which keeps GC read -> program -> erase
//       dependencies, all on one plane. With host_reads_first, a queued
//       host read overtakes queued GC / write ops of its die (a read of a
//       page whose GC copy is still queued is served from its new address:
//       timing only, data is not modelled).
//     kPriority (out of order, after MQSim's transaction scheduling unit):
//       the oldest op of the highest class (OpClass: inference reads >
//       host reads > host writes > GC / wear levelling) goes first, unless
//       it depends on an older queued op of its plane + block; then the
//       next class's oldest is tried. Dependencies (hazards): a read
//       depends on an older program of one of its pages; a program or
//       erase depends on every older op on the block (reads before the
//       erase, pages in order, a reused block's erase before its
//       programs). Within a class the order stays FIFO, so a GC copy's
//       read precedes its program and a victim's erase follows every copy.
//       The oldest queued op is always eligible, so the queue never stalls.
//       A host or inference read of a page whose GC / wear-levelling copy
//       is not yet programmed reads the source page instead (still valid:
//       the victim's erase follows the copy), as controllers do, rather
//       than waiting behind the background work for the copy's program.
//       (With max_outstanding_per_die > 1: not yet sent to the channel.)
//   - suspend_for_reads (kPriority, one op per die at the channel): when the
//     die's op at the channel is a program or erase and the op the
//     scheduler would send next is an inference or host read on another
//     block, the read goes out at once flagged kFlagSuspend and the die
//     suspends the program / erase for it (nand_die.h), at most
//     max_suspends_per_op times per op.
//   - A read command within one flash page moves only the ECC codewords its
//     bytes touch over the channel, after the page's whole array read
//     (NandRequest::read_bytes; ONFI: the READ command's column address
//     starts the data-out, and the controller clocks out only what it
//     needs, so no command cycles are added): a 4 KiB read of a 16 KiB page
//     transfers and decodes 4 KiB. A command spanning pages moves whole
//     pages (so does a GC copy).
//   - Each FlashOp is a single-page, single-plane NandRequest, unless
//     coalesce_reads: then a command's host reads on one die that the FTL
//     placed at the same page of consecutive planes become one multi-plane
//     read, and runs of those on consecutive pages of one block become one
//     multi-page (cache) read: what controllers do for sequential reads, and
//     what lets a die stream them at STREAM fidelity.
// Parameters (SsdControllerConfig): see the struct.
// Statistics: commands by kind, errors, flash ops by kind and cause,
//   unmapped reads, peak per-die queue, reads sent to suspend a program /
//   erase, FTL statistics (WA, GC).
#ifndef STRATA_CONTROLLER_SSD_SSD_CONTROLLER_H_
#define STRATA_CONTROLLER_SSD_SSD_CONTROLLER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "flash/nand_config.h"
#include "flash/nand_events.h"
#include "ftl/block_ftl.h"
#include "ftl/page_ftl.h"
#include "nvme/nvme_events.h"
#include "strata/sim/component.h"

namespace strata::controller {

using sim::SimTime;

// Per-die queue discipline (SsdController's class comment).
enum class DieScheduler : uint8_t { kFifo = 0, kPriority = 1 };

struct SsdControllerConfig {
  // FTL policy fields (over_provisioning, gc_*, wear levelling). Its
  // geometry fields are replaced by the NAND geometry: planes = channels x
  // dies x planes_per_die, pages_per_block and bits_per_cell from NAND.
  FtlConfig ftl;
  // Blocks per plane the FTL manages (0: all of the NAND's). Smaller values
  // keep the mapping tables of test drives small.
  uint32_t ftl_blocks_per_plane = 0;
  // Must equal the NVMe interface's lba_bytes.
  uint32_t lba_bytes = 4096;
  // Firmware time to translate one command. *typical* (assumption).
  SimTime ftl_per_command = SimTime::Nanoseconds(500);
  // Requests per die handed to its channel at once (1: strict per-die FIFO
  // under controller control; the channel queues the rest itself).
  uint32_t max_outstanding_per_die = 1;
  DieScheduler scheduler = DieScheduler::kFifo;
  // kFifo only: host reads overtake the die's queued ops.
  bool host_reads_first = false;
  // kPriority with max_outstanding_per_die = 1 only: inference and host
  // reads suspend a die's program / erase (NAND suspend timing in
  // NandTiming).
  bool suspend_for_reads = false;
  // Suspending reads sent during one program / erase at most; later reads
  // wait for it, so a stream of reads cannot starve it. *typical*
  // (assumption: firmware caps suspensions per operation; vendors do not
  // publish the cap).
  uint32_t max_suspends_per_op = 4;
  // Merge a command's reads per die into multi-plane, multi-page requests.
  bool coalesce_reads = false;
  // Mapping: page-level (PageFtl, GC per the ftl fields), block-level or
  // BAST-style hybrid (BlockFtl: merges instead of GC; over_provisioning and
  // dynamic_wear_levelling apply, GC and static-WL fields do not).
  enum class Mapping { kPage, kBlock, kHybrid } mapping = Mapping::kPage;
  uint32_t hybrid_log_blocks_per_plane = 4;  // kHybrid only (BlockFtlConfig)
};

class SsdController final : public sim::Component {
 public:
  // INVALID_ARGUMENT naming the field for a bad config; FTL errors as
  // PageFtl::Create returns them.
  // `cancel` (may be null) reaches the FTL's construction: CANCELLED once set.
  static absl::StatusOr<std::unique_ptr<SsdController>> Create(std::string name, const nand::NandConfig& nand,
                                                               const SsdControllerConfig& config,
                                                               const std::atomic<bool>* cancel = nullptr);
  // Logical pages the controller's FTL will export for `nand` and `config`
  // (its mapping's rule), without building it: what a workload may span.
  static uint64_t LogicalPages(const nand::NandConfig& nand, const SsdControllerConfig& config);
  // Heap bytes of the FTL tables Create would build for `nand` and `config`
  // (PageFtl::TableBytes or BlockFtl::TableBytes), without building them.
  static uint64_t FtlTableBytes(const nand::NandConfig& nand, const SsdControllerConfig& config);

  // Writes logical pages [first, first + count) through the FTL before the
  // run (a drive's prior contents), without timing.
  // Both read `cancel` (may be null) every kCancelCheckWrites writes.
  absl::Status Precondition(uint64_t first_lpn, uint64_t count, const std::atomic<bool>* cancel = nullptr);
  // Then `writes` overwrites of pages drawn uniformly from [first, first +
  // count) with `random`, also untimed, GC included: a drive aged into GC's
  // steady state before the run (SNIA SSS PTS's workload-dependent
  // preconditioning).
  absl::Status PreconditionRandom(uint64_t first_lpn, uint64_t count, uint64_t writes, sim::RandomStream& random,
                                  const std::atomic<bool>* cancel = nullptr);
  // Rounds of random single-page writes over [first_lpn, first_lpn + count),
  // each a quarter of its pages (at least one write), until the FTL's write
  // amplification is steady by SNIA SSS PTS's rule (RandomWritesToSteadyState).
  absl::StatusOr<SteadyStateReport> PreconditionToSteadyState(uint64_t first_lpn, uint64_t count,
                                                              sim::RandomStream& random,
                                                              const std::atomic<bool>* cancel = nullptr);

  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;

  const FtlMapping& ftl() const { return *ftl_; }
  uint64_t logical_lbas() const;

  struct Stats {
    uint64_t read_commands = 0;
    uint64_t write_commands = 0;
    uint64_t error_commands = 0;
    uint64_t unmapped_reads = 0;  // pages
    // [kind][cause]: FlashOpKind x OpCause.
    std::array<std::array<uint64_t, 4>, 3> flash_ops{};
    uint64_t max_die_queue = 0;
    uint64_t nand_errors = 0;
    uint64_t suspending_reads = 0;  // reads sent flagged kFlagSuspend
    uint64_t redirected_reads = 0;  // kPriority: pages read at a queued copy's source
  };
  const Stats& stats() const { return stats_; }
  // Flash ops waiting in the dies' queues now (not yet sent to a channel).
  uint64_t QueuedOps() const;

 private:
  struct Cmd {
    uint64_t frontend_tag = 0;
    NvmeOpcode opcode = NvmeOpcode::kRead;
    NvmeStatus status = NvmeStatus::kSuccess;
    std::vector<FlashOp> ops;
    uint32_t pending = 0;
    SimTime flash_start;
    // A read within one page: the bytes of the whole codewords it asked
    // for, which its flash read moves over the channel; 0: whole pages.
    uint32_t read_bytes = 0;
  };
  struct QueuedOp {
    uint32_t cmd;
    FlashOp op;  // the first page of the request
    uint16_t page_count = 1;
    uint8_t plane_count = 1;
    uint64_t seq = 0;  // arrival order on its die
  };
  // Appends `ops` (one die's, in FTL order) to `out`, merged per
  // coalesce_reads.
  void Coalesce(uint32_t cmd, const std::vector<FlashOp>& ops, std::vector<QueuedOp>* out);
  using BlockKey = std::pair<uint32_t, uint32_t>;  // (FTL plane, block)
  struct BlockUse {
    uint64_t seq;
    FlashOpKind kind;
    uint32_t first_page, page_count;
  };
  struct DieQueue {
    std::deque<QueuedOp> queue;  // arrival order
    uint32_t outstanding = 0;
    uint64_t next_seq = 0;
    // kPriority: the queued ops on each plane + block, oldest first.
    std::map<BlockKey, std::deque<BlockUse>> on_block;
    // suspend_for_reads: the op at the channel, the suspending reads sent
    // during it, and the one still out.
    QueuedOp at_channel{};
    uint32_t at_channel_suspends = 0;
    bool suspending_read_out = false;
    uint64_t suspending_read_id = 0;
  };

  SsdController(std::string name, const nand::NandConfig& nand, const SsdControllerConfig& config,
                std::unique_ptr<FtlMapping> ftl);
  void OnRequest(const BackendRequest& r);
  void OnFtlDone(uint32_t cmd);
  void OnNandResponse(const nand::NandResponse& r);
  // kPriority: records the copies in `ops` in moving_ and points host and
  // inference reads of a moving page at its source.
  void TrackCopies(std::vector<FlashOp>* ops);
  void Enqueue(uint32_t die, QueuedOp op);
  std::vector<BlockKey> BlocksOf(const QueuedOp& op) const;
  bool DependsOnOlder(const DieQueue& q, const QueuedOp& op) const;
  // The op the scheduler sends next (queue not empty), and its removal.
  std::deque<QueuedOp>::iterator Pick(DieQueue& q) const;
  void Dequeue(DieQueue& q, std::deque<QueuedOp>::iterator it) const;
  void TryIssue(uint32_t die);
  void MaybeSuspend(uint32_t die);
  // Sends `op` to its channel; returns the request id.
  uint64_t Issue(uint32_t die, const QueuedOp& op, uint8_t flags);
  void Respond(uint32_t cmd);

  const nand::NandGeometry geo_;
  const uint32_t codeword_bytes_;  // ECC codeword: the unit a partial-page read moves
  const SsdControllerConfig config_;
  std::unique_ptr<FtlMapping> ftl_;
  sim::PortId frontend_;
  std::vector<sim::PortId> channel_ports_;
  std::vector<Cmd> cmds_;
  std::vector<uint32_t> free_cmds_;
  std::vector<DieQueue> dies_;  // [channel * dies_per_channel + die]
  // kPriority: destination -> source of the GC / wear-levelling copies
  // whose program is not done yet, by (FTL plane, block, page).
  std::map<std::tuple<uint32_t, uint32_t, uint32_t>, FlashAddr> moving_;
  Stats stats_;
  // OnFtlDone's and Coalesce's working space, reused by every command.
  std::vector<uint32_t> touched_scratch_;
  std::vector<std::vector<FlashOp>> per_die_scratch_;
  std::vector<QueuedOp> merged_scratch_;
  std::vector<QueuedOp> multi_plane_scratch_;
};

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_SSD_SSD_CONTROLLER_H_
