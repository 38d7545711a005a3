#include "ftl/translation_area.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace strata::controller {

uint32_t TranslationArea::BlocksPerPlane(uint64_t translation_pages, uint32_t planes, uint32_t pages_per_block) {
  const uint64_t live = (translation_pages + planes - 1) / planes;
  return static_cast<uint32_t>((live + pages_per_block - 1) / pages_per_block + 3);
}

TranslationArea::TranslationArea(uint64_t translation_pages, uint32_t planes, uint32_t first_block,
                                 uint32_t pages_per_block)
    : planes_(planes),
      first_block_(first_block),
      pages_per_block_(pages_per_block),
      blocks_per_plane_(BlocksPerPlane(translation_pages, planes, pages_per_block)),
      location_(translation_pages, kNone),
      units_(planes) {
  for (Unit& u : units_) {
    u.valid.assign(blocks_per_plane_, 0);
    u.write_ptr.assign(blocks_per_plane_, 0);
    u.page_owner.assign(uint64_t{blocks_per_plane_} * pages_per_block_, kNone);
    for (uint32_t b = 0; b < blocks_per_plane_; ++b) u.free.push_back(b);
  }
}

FlashAddr TranslationArea::Addr(uint32_t plane, uint32_t local) const {
  return FlashAddr{plane, first_block_ + local / pages_per_block_, local % pages_per_block_};
}

FlashAddr TranslationArea::Where(uint64_t tpage) const {
  return Addr(static_cast<uint32_t>(tpage % planes_), location_[tpage]);
}

uint64_t TranslationArea::ValidPages(uint32_t plane) const {
  uint64_t n = 0;
  for (uint32_t v : units_[plane].valid) n += v;
  return n;
}

absl::StatusOr<uint32_t> TranslationArea::Allocate(uint32_t plane, std::vector<FlashOp>* ops) {
  Unit& u = units_[plane];
  if (u.open == kNil || u.write_ptr[u.open] == pages_per_block_) {
    if (u.free.empty()) {
      return absl::InternalError(absl::StrCat("translation area of unit ", plane, ": no free block"));
    }
    u.open = u.free.front();
    u.free.pop_front();
    // Keep one free block for the next GC's copies.
    if (u.free.empty() && !in_gc_) {
      if (absl::Status s = Collect(plane, ops); !s.ok()) return s;
    }
  }
  return u.open * pages_per_block_ + u.write_ptr[u.open]++;
}

absl::Status TranslationArea::Collect(uint32_t plane, std::vector<FlashOp>* ops) {
  Unit& u = units_[plane];
  uint32_t victim = kNil;
  for (uint32_t b = 0; b < blocks_per_plane_; ++b) {
    const bool closed = b != u.open && u.write_ptr[b] == pages_per_block_;
    if (closed && (victim == kNil || u.valid[b] < u.valid[victim])) victim = b;
  }
  if (victim == kNil || u.valid[victim] == pages_per_block_) {
    return absl::InternalError(absl::StrCat("translation area of unit ", plane, ": nothing to collect"));
  }
  in_gc_ = true;
  for (uint32_t page = 0; page < pages_per_block_ && u.valid[victim] > 0; ++page) {
    const uint32_t from = victim * pages_per_block_ + page;
    const uint32_t tpage = u.page_owner[from];
    if (tpage == kNone) continue;
    absl::StatusOr<uint32_t> to = Allocate(plane, ops);
    if (!to.ok()) {
      in_gc_ = false;
      return to.status();
    }
    ops->push_back(FlashOp{FlashOpKind::kRead, OpCause::kMapping, Addr(plane, from), false});
    ops->push_back(FlashOp{FlashOpKind::kProgram, OpCause::kMapping, Addr(plane, *to), false});
    u.page_owner[from] = kNone;
    --u.valid[victim];
    u.page_owner[*to] = tpage;
    ++u.valid[*to / pages_per_block_];
    location_[tpage] = *to;
    ++gc_copies_;
  }
  in_gc_ = false;
  FlashAddr erase = Addr(plane, victim * pages_per_block_);
  ops->push_back(FlashOp{FlashOpKind::kErase, OpCause::kMapping, erase, false});
  u.write_ptr[victim] = 0;
  u.free.push_back(victim);
  ++erases_;
  return absl::OkStatus();
}

absl::Status TranslationArea::Write(uint64_t tpage, std::vector<FlashOp>* ops) {
  const auto plane = static_cast<uint32_t>(tpage % planes_);
  Unit& u = units_[plane];
  // The old copy is invalid before any GC, so GC does not move it.
  if (const uint32_t old = location_[tpage]; old != kNone) {
    u.page_owner[old] = kNone;
    --u.valid[old / pages_per_block_];
    location_[tpage] = kNone;
  }
  absl::StatusOr<uint32_t> to = Allocate(plane, ops);
  if (!to.ok()) return to.status();
  ops->push_back(FlashOp{FlashOpKind::kProgram, OpCause::kMapping, Addr(plane, *to), false});
  u.page_owner[*to] = static_cast<uint32_t>(tpage);
  ++u.valid[*to / pages_per_block_];
  location_[tpage] = *to;
  ++programs_;
  return absl::OkStatus();
}

}  // namespace strata::controller
