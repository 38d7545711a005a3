// PageFtl: page-level mapping flash translation layer, event-free.
//
// Hardware: the mapping, garbage-collection and wear-levelling firmware of an
// SSD controller (the FTL layer of MQSim's stack), plus AiF's IFP blocks:
// erase blocks pinned for be-enc coded LLM weights written LSB-only.
//
// Ports: none. This is a library a controller component calls; each call
// appends the flash operations it needs (FlashOp, in issue order) to a
// caller-owned vector and never sees time.
//
// Parameters: FtlConfig (ftl_config.h).
//
// Policies:
//  - Placement: host writes stripe round-robin over planes, one open host
//    block per plane. A plane that is short of free blocks and has nothing to
//    collect (its closed blocks all fully valid: it holds more than its share
//    of the logical data, which random overwrites let drift) is skipped until
//    overwrites elsewhere free space in it. GC copies go to a separate open GC block in the victim's
//    plane (copyback-friendly, and it keeps GC-survived data apart from fresh
//    host data); static wear levelling writes cold data to a third open block,
//    taken from the most-worn free blocks.
//  - GC: when a new block is opened and a plane then has fewer than
//    gc_free_block_threshold free blocks, collect victims in that plane until
//    it has the threshold again. Victims: greedy (fewest valid pages; ties:
//    the block that reached that count first) or cost-benefit (highest
//    age * (1 - u) / (2u), u = valid / pages_per_block, age = host writes since
//    the block was last programmed; ties: lowest block). Rosenblum &
//    Ousterhout's LFS cleaner (SOSP 1991 / TOCS 1992) uses (1 - u) age / (1 + u):
//    it reads the whole segment. On flash only valid pages are read, so the
//    cost is u (read) + u (program) = 2u, as in Kawaguchi et al. (USENIX 1995).
//  - Dynamic wear levelling: open the least-worn free block (off: FIFO).
//  - Static wear levelling: after a plane erased a block, if max - min erase
//    count in the plane exceeds static_wl_threshold (min over closed data
//    blocks, and pinned blocks if static_wl_moves_ifp), migrate the least-worn
//    such block's valid pages and erase it, so dynamic WL hands it out next.
//  - IFP blocks: AllocateIfpRegion pins whole blocks (least-worn free blocks:
//    weights want the lowest RBER) and programs only the LSB page of each
//    wordline (page w * bits_per_cell), so a block holds pages_per_block /
//    bits_per_cell weight pages; its CSB/MSB pages stay unused. Pinned blocks
//    are never GC victims and leave the GC-able pool; ReleaseIfpRegion unpins
//    them (all pages invalid, so GC reclaims them without copies).
//
// Statistics (FtlStats): host_writes, host_reads, trims, gc_victims,
// gc_page_copies, gc_erases, wl_migrations, wl_page_copies, wl_erases,
// ifp_pages_programmed, ifp_block_migrations; WriteAmplification();
// WearStats (erase-count min/max/mean/stddev); PoolReport (pinned blocks,
// nominal and effective spare factor).
#ifndef STRATA_CONTROLLER_FTL_PAGE_FTL_H_
#define STRATA_CONTROLLER_FTL_PAGE_FTL_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ftl/flash_op.h"
#include "ftl/ftl_config.h"
#include "ftl/ftl_mapping.h"
#include "ftl/lazy_page_table.h"

namespace strata::controller {

struct FtlStats {
  uint64_t host_writes = 0;          // pages
  uint64_t host_reads = 0;           // pages
  uint64_t trims = 0;                // trim commands (mapped or not)
  uint64_t gc_victims = 0;           // blocks collected
  uint64_t gc_page_copies = 0;       // one read + one program each
  uint64_t gc_erases = 0;
  uint64_t wl_migrations = 0;        // static wear-levelling block moves
  uint64_t wl_page_copies = 0;       // one read + one program each
  uint64_t wl_erases = 0;
  uint64_t ifp_pages_programmed = 0; // by AllocateIfpRegion
  uint64_t ifp_block_migrations = 0; // pinned blocks moved by static WL
  // DFTL (dftl_mapping.h) only; 0 for a mapping table wholly in DRAM.
  uint64_t mapping_lookups = 0;      // host reads and writes that looked up an entry
  uint64_t mapping_hits = 0;         // of them, found in the cached mapping table
  uint64_t translation_reads = 0;    // translation pages read: lookups' misses and write-backs' merges
  uint64_t translation_writes = 0;   // translation pages written back (GC copies not counted)
  uint64_t translation_gc_copies = 0;
  uint64_t translation_erases = 0;

  uint64_t erases() const { return gc_erases + wl_erases; }
  // Flash programs per host page programmed: (host + GC + WL copies) / host.
  // With static WL off this is (host + GC writes) / host writes.
  double WriteAmplification() const {
    return host_writes == 0 ? 0.0
                            : static_cast<double>(host_writes + gc_page_copies + wl_page_copies) /
                                  static_cast<double>(host_writes);
  }
};

// WA over a window between two snapshots of the counters.
double WriteAmplificationBetween(const FtlStats& before, const FtlStats& after);

struct WearStats {
  uint32_t min_erases = 0;
  uint32_t max_erases = 0;
  double mean_erases = 0;
  double stddev_erases = 0;
  uint32_t spread() const { return max_erases - min_erases; }
};

// How pinning IFP blocks shrinks the pool GC works with.
struct PoolReport {
  uint64_t total_blocks = 0;
  uint64_t pinned_blocks = 0;
  uint64_t gc_pool_blocks = 0;         // total - pinned: blocks user data and GC cycle through
  uint64_t logical_pages = 0;
  uint64_t ifp_capacity_pages = 0;     // weight pages the pinned blocks can hold (LSB only)
  double nominal_spare_factor = 0;     // 1 - logical / physical pages
  double effective_spare_factor = 0;   // 1 - logical / (gc_pool_blocks * pages_per_block)
};

enum class BlockState : uint8_t { kFree, kOpen, kClosed, kPinned };

class PageFtl final : public FtlMapping {
 public:
  // `cancel` (may be null): read between slices of the tables' fill;
  // CANCELLED once it is set.
  static absl::StatusOr<PageFtl> Create(const FtlConfig& config, const std::atomic<bool>* cancel = nullptr);
  // Heap bytes of the tables a PageFtl built from (a valid) `config` holds,
  // without building it: the L2P and P2L maps with every chunk allocated
  // (the most they reach: a span written whole), the block records, every
  // block in its plane's free pool (as at construction) and the GC buckets.
  // The admission estimate's FTL term (docs/admission.md); keep it in step
  // with the members below.
  static uint64_t TableBytes(const FtlConfig& config);

  const FtlConfig& config() const { return config_; }
  const Geometry& geometry() const { return geo_; }

  // Host write of one logical page: invalidates the old copy, programs the
  // next page of the plane's open host block (round-robin over planes), after
  // any GC that opening a new block needs. INVALID_ARGUMENT: lpn out of range.
  // RESOURCE_EXHAUSTED: no plane has a free page or anything to collect
  // (cannot happen while the over-provisioning covers the reserve).
  absl::Status Write(uint64_t lpn, std::vector<FlashOp>* ops) override;
  // NOT_FOUND if the page was never written or was trimmed.
  absl::Status Read(uint64_t lpn, std::vector<FlashOp>* ops) override;
  // Unmaps the page; its flash copy becomes invalid. No flash operation.
  absl::Status Trim(uint64_t lpn) override;

  // Pins ceil(ifp_pages / ifp_pages_per_block) blocks, round-robin over planes,
  // and programs the weights LSB-only. Returns the region id.
  // INVALID_ARGUMENT: ifp_pages == 0. RESOURCE_EXHAUSTED: pinning would leave
  // the GC pool too small for the logical space plus the GC reserve.
  absl::StatusOr<uint32_t> AllocateIfpRegion(uint64_t ifp_pages, std::vector<FlashOp>* ops);
  // NOT_FOUND: no such live region.
  absl::Status ReleaseIfpRegion(uint32_t region);
  // Physical pages of a region's weights, in weight order. NOT_FOUND as above.
  absl::StatusOr<std::vector<FlashAddr>> IfpPages(uint32_t region) const;

  // Inspection.
  std::optional<FlashAddr> Lookup(uint64_t lpn) const override;
  uint64_t logical_pages() const override { return geo_.logical_pages(); }
  // The logical page a physical page holds now (none: invalid, free or IFP).
  std::optional<uint64_t> LpnAt(const FlashAddr& addr) const;
  uint32_t ValidPages(uint32_t plane, uint32_t block) const;
  uint32_t EraseCount(uint32_t plane, uint32_t block) const;
  BlockState State(uint32_t plane, uint32_t block) const;
  uint32_t FreeBlocks(uint32_t plane) const;
  const FtlStats& stats() const override { return stats_; }
  WearStats Wear() const override;
  PoolReport Pool() const;
  // Counters, erase counts and the mapping folded into one value.
  uint64_t Digest() const override;
  // Heap bytes the L2P and P2L maps hold now (they grow as pages are written).
  uint64_t MapBytes() const { return l2p_.AllocatedBytes() + p2l_.AllocatedBytes(); }
  // Recomputes valid counts, L2P <-> P2L agreement and the GC bucket lists
  // from scratch; INTERNAL naming the first disagreement. O(physical pages).
  absl::Status CheckInvariants() const;

 private:
  enum Stream { kHostStream = 0, kGcStream = 1, kWlStream = 2, kStreams = 3 };
  static constexpr uint32_t kNil = ~uint32_t{0};
  static constexpr uint32_t kUnmapped = LazyPageTable::kNone;
  // P2L entry of an IFP page. Which weight page it holds follows from where
  // it is: the block's place in its region and the page's wordline.
  static constexpr uint32_t kIfpTag = LazyPageTable::kNone - 1;

  struct Block {
    uint32_t valid = 0;
    uint32_t write_ptr = 0;     // next page to program
    uint32_t erase_count = 0;
    uint64_t last_write = 0;    // host-write clock at the last program
    uint64_t free_key = 0;      // key in the plane's free set
    uint32_t prev = kNil;       // GC bucket list (closed blocks, by valid count)
    uint32_t next = kNil;
    uint32_t ifp_region = kNil;
    BlockState state = BlockState::kFree;
  };
  struct Plane {
    std::set<std::pair<uint64_t, uint32_t>> free;  // (free_key, block id)
    uint32_t frontier[kStreams] = {kNil, kNil, kNil};
    std::vector<uint32_t> bucket_head, bucket_tail;  // index: valid pages
    bool erased_since_wl_check = false;
  };
  struct IfpRegion {
    bool live = false;
    std::vector<uint64_t> ppns;     // weight page i lives at ppns[i]
    std::vector<uint32_t> blocks;
  };

  explicit PageFtl(const FtlConfig& config);
  // Allocates the block records and free pools (the page tables fill
  // lazily); false when `cancel` stopped it.
  bool Init(const std::atomic<bool>* cancel);

  uint32_t PlaneOf(uint32_t block_id) const { return block_id / geo_.blocks_per_plane(); }
  FlashAddr Addr(uint64_t ppn) const;
  void Emit(std::vector<FlashOp>* ops, FlashOpKind kind, OpCause cause, uint64_t ppn, bool be_enc) const;

  void BucketInsert(uint32_t id);
  void BucketRemove(uint32_t id);
  void FreeInsert(uint32_t id);
  enum class Pick { kPreferred, kMostWorn };
  uint32_t TakeFreeBlock(uint32_t plane, Pick pick);

  void Program(uint64_t ppn, uint32_t tag);
  void Invalidate(uint64_t ppn);
  void CloseBlock(uint32_t id);
  void DetachVictim(uint32_t id);
  absl::StatusOr<uint64_t> AllocatePage(uint32_t plane, Stream stream, std::vector<FlashOp>* ops);
  absl::Status Collect(uint32_t plane, uint32_t target_free, std::vector<FlashOp>* ops);
  bool CanOpenBlock(uint32_t plane) const;
  bool CanTakeHostWrite(uint32_t plane) const;
  absl::StatusOr<uint32_t> PickHostPlane(std::vector<FlashOp>* ops);
  uint32_t SelectVictim(uint32_t plane) const;
  absl::Status RelocateValid(uint32_t src, Stream stream, OpCause cause, std::vector<FlashOp>* ops);
  void EraseBlock(uint32_t id, OpCause cause, std::vector<FlashOp>* ops);
  absl::Status MaybeStaticWl(uint32_t plane, std::vector<FlashOp>* ops);
  absl::Status MoveIfpBlock(uint32_t src, std::vector<FlashOp>* ops);

  FtlConfig config_;
  Geometry geo_;
  // 4-byte entries, allocated where written (lazy_page_table.h): a fresh
  // 512 GiB drive costs almost nothing until its span is written.
  LazyPageTable l2p_;  // lpn -> ppn
  LazyPageTable p2l_;  // ppn -> lpn, kIfpTag or kUnmapped
  std::vector<Block> blocks_;
  std::vector<Plane> planes_;
  std::vector<IfpRegion> regions_;
  FtlStats stats_;
  uint64_t clock_ = 0;          // host writes so far: the age clock of cost-benefit
  uint64_t free_seq_ = 0;       // FIFO order of freed blocks (dynamic WL off)
  uint32_t next_plane_ = 0;     // round-robin striping of host writes
  uint32_t next_ifp_plane_ = 0;
  uint64_t pinned_blocks_ = 0;
  bool in_maintenance_ = false; // GC / WL running: opening a block must not recurse into GC
};

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_FTL_PAGE_FTL_H_
