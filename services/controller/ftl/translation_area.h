// TranslationArea: where DFTL keeps its translation pages on flash, and
// their garbage collection.
//
// Hardware: the whole page-level mapping table (4-byte PPNs) split into
// translation pages of page_bytes / 4 entries each, stored in blocks set
// apart for them (Gupta et al., "DFTL", ASPLOS 2009, section 3.1: "translation
// blocks" beside "data blocks"), and the global translation directory (GTD:
// translation page -> its current physical page) in controller DRAM.
//
// Placement: translation page t lives on FTL allocation unit t % planes, as
// MQSim places a translation page by its virtual number with the data's
// allocation scheme, so consecutive translation pages spread over channels
// (the controller's unit -> channel / die / plane order). Each unit has
// `blocks_per_plane` translation blocks, numbered after the data blocks;
// a rewrite goes to the unit's open translation block (out of place, the
// old copy becomes invalid).
//
// GC (real, simple): when opening a block leaves a unit without a free
// translation block, the closed block with the fewest valid pages (ties:
// the lowest) is collected: each valid page is read and programmed into the
// open block, then the victim is erased. BlocksPerPlane leaves at least one
// block of slack over the unit's live pages plus an open and a free block,
// so a victim always has an invalid page and its copies fit the open block.
// Data-block GC never moves translation pages, nor this GC data pages.
#ifndef STRATA_CONTROLLER_FTL_TRANSLATION_AREA_H_
#define STRATA_CONTROLLER_FTL_TRANSLATION_AREA_H_

#include <cstdint>
#include <deque>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ftl/flash_op.h"

namespace strata::controller {

class TranslationArea {
 public:
  // Translation blocks per unit: ceil(live / pages_per_block) + 3, live =
  // ceil(translation_pages / planes) (one block of slack, the open block
  // and the GC's free block).
  static uint32_t BlocksPerPlane(uint64_t translation_pages, uint32_t planes, uint32_t pages_per_block);

  TranslationArea(uint64_t translation_pages, uint32_t planes, uint32_t first_block, uint32_t pages_per_block);

  bool OnFlash(uint64_t tpage) const { return location_[tpage] != kNone; }
  // Where the current copy is (OnFlash must hold).
  FlashAddr Where(uint64_t tpage) const;
  // Programs a new copy of `tpage` (after GC when the unit needs a free
  // block); the old copy becomes invalid. Appends the ops (cause kMapping).
  absl::Status Write(uint64_t tpage, std::vector<FlashOp>* ops);

  uint64_t translation_pages() const { return location_.size(); }
  uint32_t blocks_per_plane() const { return blocks_per_plane_; }
  uint64_t programs() const { return programs_; }      // rewrites, not GC copies
  uint64_t gc_copies() const { return gc_copies_; }    // one read + one program each
  uint64_t erases() const { return erases_; }
  // Valid translation pages on unit `plane` (every page written at least once is valid exactly once).
  uint64_t ValidPages(uint32_t plane) const;

 private:
  static constexpr uint32_t kNone = ~uint32_t{0};
  static constexpr uint32_t kNil = ~uint32_t{0};
  struct Unit {
    std::vector<uint32_t> valid, write_ptr;  // per translation block
    std::vector<uint32_t> page_owner;        // block * ppb + page -> tpage or kNone
    std::deque<uint32_t> free;
    uint32_t open = kNil;
  };
  FlashAddr Addr(uint32_t plane, uint32_t local) const;
  absl::StatusOr<uint32_t> Allocate(uint32_t plane, std::vector<FlashOp>* ops);
  absl::Status Collect(uint32_t plane, std::vector<FlashOp>* ops);

  uint32_t planes_, first_block_, pages_per_block_, blocks_per_plane_;
  std::vector<uint32_t> location_;  // GTD: tpage -> block * ppb + page on its unit, or kNone
  std::vector<Unit> units_;
  bool in_gc_ = false;
  uint64_t programs_ = 0, gc_copies_ = 0, erases_ = 0;
};

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_FTL_TRANSLATION_AREA_H_
