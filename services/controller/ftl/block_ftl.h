// BlockFtl: block-level and hybrid (log-block) mapping flash translation
// layer, event-free; the alternatives to PageFtl's page-level mapping.
//
// Hardware: the mapping firmware of the small-DRAM controllers that page
// mapping displaced. A logical block maps to one physical data block and a
// logical page keeps its offset inside it, so the table is one entry per
// block instead of per page. With log blocks (BAST: Kim et al., "A
// space-efficient flash translation layer for CompactFlash systems", IEEE
// TCE 2002) each logical block may also own one page-mapped log block that
// absorbs its out-of-place writes until a merge.
//
// Ports: none. Like PageFtl, each call appends the flash operations it needs
// (FlashOp, in issue order) to a caller-owned vector and never sees time.
//
// Policies:
//  - Logical block b lives in plane b % planes (consecutive blocks stripe
//    over planes; merges stay inside a plane: copyback-friendly).
//  - A write to offset k programs the data block in place when k is at or
//    past the block's write pointer (pages program in increasing order; a
//    skipped page stays unprogrammed: controllers pad such gaps on MLC/TLC,
//    not modelled). Otherwise:
//      * log_blocks_per_plane = 0 (block-level mapping): a full merge at
//        once: a fresh block gets every valid page at its offset (the new
//        data included), the old data block is erased;
//      * else (hybrid): the write is appended to the logical block's log
//        block, opened from the free pool; when the plane's log blocks are
//        all taken, the one opened longest ago is merged first. A full log
//        block is merged.
//  - Merges (the GC of this FTL): switch (the log block holds offsets 0..n-1
//    in order and nothing else valid: it becomes the data block, the old one
//    is erased, no copies); partial (the log holds offsets 0..k-1 in order:
//    the remaining valid pages are copied from the data block after them);
//    full (a fresh block gets the latest copy of every valid offset; data and
//    log blocks are erased).
//  - Free blocks: the least worn first (dynamic_wear_levelling), else FIFO.
//
// Statistics: FtlStats (host_writes/reads, trims; merges count as
// gc_victims, their copies as gc_page_copies, their erases as gc_erases) plus
// merges by kind; WearStats.
#ifndef STRATA_CONTROLLER_FTL_BLOCK_FTL_H_
#define STRATA_CONTROLLER_FTL_BLOCK_FTL_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ftl/flash_op.h"
#include "ftl/ftl_config.h"
#include "ftl/ftl_mapping.h"
#include "ftl/page_ftl.h"

namespace strata::controller {

struct BlockFtlConfig {
  // Geometry, over-provisioning (spare fraction of physical blocks) and
  // dynamic_wear_levelling; the GC and static-WL fields are PageFtl's only.
  FtlConfig ftl;
  // Log blocks a plane may have open at once; 0 = pure block-level mapping.
  // BAST's evaluation used a handful per drive (assumption: 4 per plane).
  uint32_t log_blocks_per_plane = 4;
};

struct MergeStats {
  uint64_t switch_merges = 0;
  uint64_t partial_merges = 0;
  uint64_t full_merges = 0;
};

class BlockFtl final : public FtlMapping {
 public:
  // INVALID_ARGUMENT naming the field: the FtlConfig's own checks, and spare
  // blocks per plane (blocks - logical blocks) of at least
  // log_blocks_per_plane + 1 (a full merge needs one free block).
  // `cancel` (may be null): read per plane while the tables are built;
  // CANCELLED once it is set.
  static absl::StatusOr<BlockFtl> Create(const BlockFtlConfig& config, const std::atomic<bool>* cancel = nullptr);
  // Logical pages a (valid) config exports, without building the tables:
  // floor(blocks_per_plane x (1 - over_provisioning)) blocks per plane.
  static uint64_t LogicalPages(const FtlConfig& config);
  // Heap bytes of a (valid) config's tables once every logical block has
  // been written (a preconditioned span): the logical block records with
  // their per-offset locations, the physical block records, every block in
  // a free pool (as at construction) and the open log blocks' offset lists.
  // Not counted: the offset-list capacity a logical block keeps after its
  // log block is merged (clear() keeps it). The admission estimate's FTL
  // term (docs/admission.md); keep it in step with the members below.
  static uint64_t TableBytes(const BlockFtlConfig& config);

  uint64_t logical_pages() const override { return uint64_t{logical_blocks_} * ppb_; }
  // INVALID_ARGUMENT: lpn out of range. RESOURCE_EXHAUSTED cannot happen
  // while the config is valid (checked by CheckInvariants in tests).
  absl::Status Write(uint64_t lpn, std::vector<FlashOp>* ops) override;
  // NOT_FOUND if the page was never written or was trimmed.
  absl::Status Read(uint64_t lpn, std::vector<FlashOp>* ops) override;
  absl::Status Trim(uint64_t lpn) override;

  std::optional<FlashAddr> Lookup(uint64_t lpn) const override;
  const FtlStats& stats() const override { return stats_; }
  const MergeStats& merges() const { return merges_; }
  WearStats Wear() const override;
  uint32_t FreeBlocks(uint32_t plane) const { return static_cast<uint32_t>(planes_[plane].free.size()); }
  uint64_t Digest() const override;
  // Every valid offset has exactly one location, locations are programmed
  // pages, and every physical block is free, data or log exactly once.
  absl::Status CheckInvariants() const;

 private:
  static constexpr uint32_t kNil = ~uint32_t{0};
  static constexpr int32_t kNone = -2;  // where[offset]: no valid copy
  static constexpr int32_t kData = -1;  // valid in the data block; >= 0: log page index

  struct LogicalBlock {
    uint32_t data = kNil;  // physical block in the plane
    uint32_t log = kNil;
    std::vector<int32_t> where;         // per offset; empty until first written
    std::vector<uint32_t> log_offsets;  // offset each log page holds, in program order
  };
  struct PhysicalBlock {
    uint32_t write_ptr = 0;
    uint32_t erase_count = 0;
  };
  struct Plane {
    std::set<std::pair<uint64_t, uint32_t>> free;  // (key, block): least worn or FIFO first
    std::vector<PhysicalBlock> blocks;
    std::deque<uint32_t> log_owners;  // logical blocks with a log block, oldest first
  };

  explicit BlockFtl(const BlockFtlConfig& config);
  // Builds the planes' block tables and free pools; false when `cancel` stopped it.
  bool Init(const std::atomic<bool>* cancel);
  uint32_t PlaneOf(uint32_t lbn) const { return lbn % static_cast<uint32_t>(planes_.size()); }
  absl::StatusOr<uint32_t> TakeFree(uint32_t plane);
  void Erase(uint32_t plane, uint32_t block, std::vector<FlashOp>* ops);
  void Emit(std::vector<FlashOp>* ops, FlashOpKind kind, OpCause cause, uint32_t plane, uint32_t block,
            uint32_t page) const;
  absl::Status FullMerge(uint32_t lbn, int32_t new_offset, std::vector<FlashOp>* ops);
  absl::Status Merge(uint32_t lbn, std::vector<FlashOp>* ops);
  absl::Status OpenLog(uint32_t lbn, std::vector<FlashOp>* ops);

  BlockFtlConfig config_;
  uint32_t ppb_;
  uint32_t logical_blocks_;
  std::vector<Plane> planes_;
  std::vector<LogicalBlock> logical_;
  uint64_t free_clock_ = 0;  // FIFO order of freed blocks
  FtlStats stats_;
  MergeStats merges_;
};

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_FTL_BLOCK_FTL_H_
