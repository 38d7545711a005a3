#include "ftl/page_ftl.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "strata/sim/digest.h"
#include "strata/sim/heap_bytes.h"

namespace strata::controller {

std::string_view FlashOpKindName(FlashOpKind kind) {
  switch (kind) {
    case FlashOpKind::kRead: return "read";
    case FlashOpKind::kProgram: return "program";
    case FlashOpKind::kErase: return "erase";
  }
  return "unknown";
}

std::string_view OpCauseName(OpCause cause) {
  switch (cause) {
    case OpCause::kHost: return "host";
    case OpCause::kGc: return "gc";
    case OpCause::kWearLevel: return "wear_level";
    case OpCause::kIfp: return "ifp";
  }
  return "unknown";
}

double WriteAmplificationBetween(const FtlStats& before, const FtlStats& after) {
  const uint64_t host = after.host_writes - before.host_writes;
  if (host == 0) return 0.0;
  const uint64_t copies = (after.gc_page_copies - before.gc_page_copies) +
                          (after.wl_page_copies - before.wl_page_copies);
  return static_cast<double>(host + copies) / static_cast<double>(host);
}

absl::StatusOr<PageFtl> PageFtl::Create(const FtlConfig& config, const std::atomic<bool>* cancel) {
  if (absl::Status st = ValidateFtlConfig(config); !st.ok()) return st;
  PageFtl ftl(config);
  if (!ftl.Init(cancel)) return absl::CancelledError("cancelled while building the drive's FTL tables");
  return ftl;
}

uint64_t PageFtl::TableBytes(const FtlConfig& config) {
  const Geometry g(config);
  const uint64_t buckets = 2 * (uint64_t{g.pages_per_block()} + 1) * sizeof(uint32_t);  // bucket_head, bucket_tail
  return LazyPageTable::FullBytes(g.logical_pages()) + LazyPageTable::FullBytes(g.physical_pages()) +  // l2p_, p2l_
         g.total_blocks() * (sizeof(Block) + sim::TreeNodeBytes<std::pair<uint64_t, uint32_t>>()) +
         uint64_t{g.planes()} * (sizeof(Plane) + buckets);
}

PageFtl::PageFtl(const FtlConfig& config) : config_(config), geo_(config) {}

bool PageFtl::Init(const std::atomic<bool>* cancel) {
  l2p_ = LazyPageTable(geo_.logical_pages());
  p2l_ = LazyPageTable(geo_.physical_pages());
  blocks_.resize(geo_.total_blocks());
  planes_.resize(geo_.planes());
  for (Plane& p : planes_) {
    p.bucket_head.assign(geo_.pages_per_block() + 1, kNil);
    p.bucket_tail.assign(geo_.pages_per_block() + 1, kNil);
  }
  for (uint32_t id = 0; id < blocks_.size(); ++id) {
    if (id % kCancelCheckWrites == 0 && cancel != nullptr && cancel->load(std::memory_order_relaxed)) return false;
    FreeInsert(id);
  }
  return true;
}

FlashAddr PageFtl::Addr(uint64_t ppn) const {
  const uint64_t block_id = ppn / geo_.pages_per_block();
  return FlashAddr{static_cast<uint32_t>(block_id / geo_.blocks_per_plane()),
                   static_cast<uint32_t>(block_id % geo_.blocks_per_plane()),
                   static_cast<uint32_t>(ppn % geo_.pages_per_block())};
}

void PageFtl::Emit(std::vector<FlashOp>* ops, FlashOpKind kind, OpCause cause, uint64_t ppn,
                   bool be_enc) const {
  FlashAddr a = Addr(ppn);
  if (kind == FlashOpKind::kErase) a.page = 0;
  ops->push_back(FlashOp{kind, cause, a, be_enc});
}

// ---- GC bucket lists: closed, unpinned blocks of a plane by valid count ----

void PageFtl::BucketInsert(uint32_t id) {
  Block& b = blocks_[id];
  Plane& p = planes_[PlaneOf(id)];
  b.prev = p.bucket_tail[b.valid];
  b.next = kNil;
  if (b.prev == kNil) {
    p.bucket_head[b.valid] = id;
  } else {
    blocks_[b.prev].next = id;
  }
  p.bucket_tail[b.valid] = id;
}

void PageFtl::BucketRemove(uint32_t id) {
  Block& b = blocks_[id];
  Plane& p = planes_[PlaneOf(id)];
  if (b.prev == kNil) {
    p.bucket_head[b.valid] = b.next;
  } else {
    blocks_[b.prev].next = b.next;
  }
  if (b.next == kNil) {
    p.bucket_tail[b.valid] = b.prev;
  } else {
    blocks_[b.next].prev = b.prev;
  }
  b.prev = b.next = kNil;
}

void PageFtl::FreeInsert(uint32_t id) {
  Block& b = blocks_[id];
  b.state = BlockState::kFree;
  // Dynamic WL orders the free pool by wear; without it, by the order blocks
  // were freed (FIFO), which spreads wear only as evenly as the workload does.
  b.free_key = config_.dynamic_wear_levelling ? b.erase_count : free_seq_++;
  // Hinted at the end: right for every block at construction (ids ascend)
  // and for FIFO keys, so those inserts take no search; a wrong hint only
  // costs the usual search.
  auto& free = planes_[PlaneOf(id)].free;
  free.emplace_hint(free.end(), b.free_key, id);
}

uint32_t PageFtl::TakeFreeBlock(uint32_t plane, Pick pick) {
  auto& free = planes_[plane].free;
  if (free.empty()) return kNil;
  auto it = free.begin();
  if (pick == Pick::kMostWorn) {
    // Highest erase count; ties: lowest block id. The pool is small in steady
    // state (about gc_free_block_threshold), so a scan is cheap.
    for (auto j = free.begin(); j != free.end(); ++j) {
      const Block& c = blocks_[j->second];
      const Block& best = blocks_[it->second];
      if (c.erase_count > best.erase_count ||
          (c.erase_count == best.erase_count && j->second < it->second)) {
        it = j;
      }
    }
  }
  const uint32_t id = it->second;
  free.erase(it);
  return id;
}

// ---- Page state ----

void PageFtl::Program(uint64_t ppn, uint32_t tag) {
  p2l_.Set(ppn, tag);
  Block& b = blocks_[ppn / geo_.pages_per_block()];
  ++b.valid;
  b.last_write = clock_;
}

void PageFtl::Invalidate(uint64_t ppn) {
  const uint32_t id = static_cast<uint32_t>(ppn / geo_.pages_per_block());
  Block& b = blocks_[id];
  p2l_.Set(ppn, kUnmapped);
  if (b.state == BlockState::kClosed) {
    BucketRemove(id);
    --b.valid;
    BucketInsert(id);
  } else {
    --b.valid;
  }
}

void PageFtl::DetachVictim(uint32_t id) {
  BucketRemove(id);
  // In flight between collection and erase: in no bucket and not in the free
  // pool, so invalidating its pages moves nothing and nothing can open it.
  blocks_[id].state = BlockState::kFree;
}

void PageFtl::CloseBlock(uint32_t id) {
  blocks_[id].state = BlockState::kClosed;
  BucketInsert(id);
}

absl::StatusOr<uint64_t> PageFtl::AllocatePage(uint32_t plane, Stream stream, std::vector<FlashOp>* ops) {
  const uint32_t ppb = geo_.pages_per_block();
  uint32_t f = planes_[plane].frontier[stream];
  if (f == kNil || blocks_[f].write_ptr == ppb) {
    if (f != kNil) CloseBlock(f);
    f = TakeFreeBlock(plane, stream == kWlStream ? Pick::kMostWorn : Pick::kPreferred);
    planes_[plane].frontier[stream] = f;
    if (f == kNil) {
      return absl::InternalError(absl::StrCat("plane ", plane, ": no free block to open for stream ",
                                              static_cast<int>(stream)));
    }
    blocks_[f].state = BlockState::kOpen;
    if (!in_maintenance_) {
      if (absl::Status st = Collect(plane, config_.gc_free_block_threshold, ops); !st.ok()) return st;
    }
  }
  return geo_.Ppn(f, blocks_[f].write_ptr++);
}

// ---- Garbage collection ----

uint32_t PageFtl::SelectVictim(uint32_t plane) const {
  const uint32_t ppb = geo_.pages_per_block();
  const Plane& p = planes_[plane];
  if (config_.gc_policy == GcPolicy::kGreedy) {
    for (uint32_t v = 0; v < ppb; ++v) {
      if (p.bucket_head[v] != kNil) return p.bucket_head[v];
    }
    return kNil;
  }
  // Cost-benefit: scan the plane's closed blocks; ties keep the lowest id.
  uint32_t best = kNil;
  double best_score = -1.0;
  const uint32_t first = plane * geo_.blocks_per_plane();
  for (uint32_t id = first; id < first + geo_.blocks_per_plane(); ++id) {
    const Block& b = blocks_[id];
    if (b.state != BlockState::kClosed || b.valid == ppb) continue;
    if (b.valid == 0) return id;  // free space at no cost
    const double u = static_cast<double>(b.valid) / ppb;
    const double age = static_cast<double>(clock_ - b.last_write);
    const double score = age * (1.0 - u) / (2.0 * u);
    if (score > best_score) {
      best_score = score;
      best = id;
    }
  }
  return best;
}

absl::Status PageFtl::RelocateValid(uint32_t src, Stream stream, OpCause cause, std::vector<FlashOp>* ops) {
  const uint32_t plane = PlaneOf(src);
  const uint32_t ppb = geo_.pages_per_block();
  for (uint32_t page = 0; page < ppb && blocks_[src].valid > 0; ++page) {
    const uint64_t from = geo_.Ppn(src, page);
    const uint32_t tag = p2l_.Get(from);
    if (tag == kUnmapped) continue;
    Emit(ops, FlashOpKind::kRead, cause, from, false);
    absl::StatusOr<uint64_t> to = AllocatePage(plane, stream, ops);
    if (!to.ok()) return to.status();
    Emit(ops, FlashOpKind::kProgram, cause, *to, false);
    Invalidate(from);
    Program(*to, tag);
    l2p_.Set(tag, static_cast<uint32_t>(*to));
    if (cause == OpCause::kGc) {
      ++stats_.gc_page_copies;
    } else {
      ++stats_.wl_page_copies;
    }
  }
  return absl::OkStatus();
}

void PageFtl::EraseBlock(uint32_t id, OpCause cause, std::vector<FlashOp>* ops) {
  Block& b = blocks_[id];
  Emit(ops, FlashOpKind::kErase, cause, geo_.Ppn(id, 0), false);
  ++b.erase_count;
  b.write_ptr = 0;
  b.last_write = 0;
  b.ifp_region = kNil;
  FreeInsert(id);
  planes_[PlaneOf(id)].erased_since_wl_check = true;
  if (cause == OpCause::kGc) {
    ++stats_.gc_erases;
  } else {
    ++stats_.wl_erases;
  }
}

absl::Status PageFtl::Collect(uint32_t plane, uint32_t target_free, std::vector<FlashOp>* ops) {
  const bool outer = !in_maintenance_;
  in_maintenance_ = true;
  absl::Status st = absl::OkStatus();
  // Each round starts with at least one free block (callers guarantee it on
  // entry; a round opens at most one GC block and frees its victim), so the
  // victim's valid pages always have somewhere to go.
  while (planes_[plane].free.size() < target_free) {
    const uint32_t victim = SelectVictim(plane);
    // No closed block with an invalid page: this plane holds more than its
    // share of valid data for now. Stop; Write steers host data to other
    // planes until overwrites free space here.
    if (victim == kNil) break;
    DetachVictim(victim);
    if (st = RelocateValid(victim, kGcStream, OpCause::kGc, ops); !st.ok()) break;
    EraseBlock(victim, OpCause::kGc, ops);
    ++stats_.gc_victims;
  }
  if (outer) in_maintenance_ = false;
  return st;
}

bool PageFtl::CanOpenBlock(uint32_t plane) const {
  // Opening a block must leave one free block for GC to collect into.
  return planes_[plane].free.size() >= config_.gc_free_block_threshold;
}

bool PageFtl::CanTakeHostWrite(uint32_t plane) const {
  const uint32_t f = planes_[plane].frontier[kHostStream];
  return (f != kNil && blocks_[f].write_ptr < geo_.pages_per_block()) || CanOpenBlock(plane);
}

absl::StatusOr<uint32_t> PageFtl::PickHostPlane(std::vector<FlashOp>* ops) {
  // Round-robin; a plane that is short of free blocks and cannot collect any
  // (all its closed blocks fully valid) is skipped for this write.
  for (uint32_t attempt = 0; attempt < geo_.planes(); ++attempt) {
    const uint32_t plane = (next_plane_ + attempt) % geo_.planes();
    if (!CanTakeHostWrite(plane)) {
      if (absl::Status st = Collect(plane, config_.gc_free_block_threshold, ops); !st.ok()) return st;
      if (!CanTakeHostWrite(plane)) continue;
    }
    next_plane_ = (plane + 1) % geo_.planes();
    return plane;
  }
  return absl::ResourceExhaustedError(absl::StrCat(
      "write: no plane has a free page or a block to collect (", geo_.planes(), " planes)"));
}

// ---- Static wear levelling ----

absl::Status PageFtl::MaybeStaticWl(uint32_t plane, std::vector<FlashOp>* ops) {
  Plane& p = planes_[plane];
  if (config_.static_wl_threshold == 0 || !p.erased_since_wl_check || !CanOpenBlock(plane)) {
    return absl::OkStatus();
  }
  p.erased_since_wl_check = false;
  uint32_t max_ec = 0;
  uint32_t cold = kNil;
  const uint32_t first = plane * geo_.blocks_per_plane();
  for (uint32_t id = first; id < first + geo_.blocks_per_plane(); ++id) {
    const Block& b = blocks_[id];
    max_ec = std::max(max_ec, b.erase_count);
    const bool eligible = b.state == BlockState::kClosed ||
                          (b.state == BlockState::kPinned && config_.static_wl_moves_ifp);
    if (eligible && (cold == kNil || b.erase_count < blocks_[cold].erase_count)) cold = id;
  }
  if (cold == kNil || max_ec - blocks_[cold].erase_count <= config_.static_wl_threshold) {
    return absl::OkStatus();
  }
  in_maintenance_ = true;
  absl::Status st;
  if (blocks_[cold].state == BlockState::kPinned) {
    st = MoveIfpBlock(cold, ops);
  } else {
    DetachVictim(cold);
    st = RelocateValid(cold, kWlStream, OpCause::kWearLevel, ops);
    if (st.ok()) EraseBlock(cold, OpCause::kWearLevel, ops);
  }
  in_maintenance_ = false;
  if (!st.ok()) return st;
  ++stats_.wl_migrations;
  // The move may have opened a block: restore the GC reserve.
  return Collect(plane, config_.gc_free_block_threshold, ops);
}

absl::Status PageFtl::MoveIfpBlock(uint32_t src, std::vector<FlashOp>* ops) {
  const uint32_t plane = PlaneOf(src);
  // Static WL sends data to worn blocks so the cold (little-worn) one is reused.
  const uint32_t dst = TakeFreeBlock(plane, Pick::kMostWorn);
  if (dst == kNil) {
    return absl::InternalError(absl::StrCat("plane ", plane, ": no free block to move IFP block into"));
  }
  const uint32_t region = blocks_[src].ifp_region;
  Block& d = blocks_[dst];
  d.state = BlockState::kPinned;
  d.ifp_region = region;
  d.write_ptr = geo_.pages_per_block();
  // Weight page i of a region lives in its block i / per_block, on the LSB
  // page of wordline i % per_block (AllocateIfpRegion fills blocks whole).
  const auto& region_blocks = regions_[region].blocks;
  const uint64_t first_weight = static_cast<uint64_t>(
      std::find(region_blocks.begin(), region_blocks.end(), src) - region_blocks.begin()) * geo_.ifp_pages_per_block();
  for (uint32_t page = 0; page < geo_.pages_per_block(); ++page) {
    const uint64_t from = geo_.Ppn(src, page);
    const uint32_t tag = p2l_.Get(from);
    if (tag == kUnmapped) continue;
    // Same page index: the copy stays on the LSB page of its wordline.
    const uint64_t to = geo_.Ppn(dst, page);
    Emit(ops, FlashOpKind::kRead, OpCause::kWearLevel, from, true);
    Emit(ops, FlashOpKind::kProgram, OpCause::kWearLevel, to, true);
    Invalidate(from);
    Program(to, tag);
    regions_[region].ppns[first_weight + page / geo_.bits_per_cell()] = to;
    ++stats_.wl_page_copies;
  }
  std::replace(regions_[region].blocks.begin(), regions_[region].blocks.end(), src, dst);
  EraseBlock(src, OpCause::kWearLevel, ops);
  ++stats_.ifp_block_migrations;
  return absl::OkStatus();
}

// ---- Host commands ----

absl::Status PageFtl::Write(uint64_t lpn, std::vector<FlashOp>* ops) {
  if (lpn >= geo_.logical_pages()) {
    return absl::InvalidArgumentError(
        absl::StrCat("write: lpn = ", lpn, "; allowed: 0 to ", geo_.logical_pages() - 1));
  }
  ++clock_;
  if (const uint32_t old = l2p_.Get(lpn); old != kUnmapped) Invalidate(old);
  l2p_.Set(lpn, kUnmapped);
  absl::StatusOr<uint32_t> picked = PickHostPlane(ops);
  if (!picked.ok()) return picked.status();
  const uint32_t plane = *picked;
  absl::StatusOr<uint64_t> ppn = AllocatePage(plane, kHostStream, ops);
  if (!ppn.ok()) return ppn.status();
  Emit(ops, FlashOpKind::kProgram, OpCause::kHost, *ppn, false);
  Program(*ppn, static_cast<uint32_t>(lpn));
  l2p_.Set(lpn, static_cast<uint32_t>(*ppn));
  ++stats_.host_writes;
  return MaybeStaticWl(plane, ops);
}

absl::Status PageFtl::Read(uint64_t lpn, std::vector<FlashOp>* ops) {
  if (lpn >= geo_.logical_pages()) {
    return absl::InvalidArgumentError(
        absl::StrCat("read: lpn = ", lpn, "; allowed: 0 to ", geo_.logical_pages() - 1));
  }
  const uint32_t ppn = l2p_.Get(lpn);
  if (ppn == kUnmapped) return absl::NotFoundError(absl::StrCat("read: lpn ", lpn, " is not mapped"));
  Emit(ops, FlashOpKind::kRead, OpCause::kHost, ppn, false);
  ++stats_.host_reads;
  return absl::OkStatus();
}

absl::Status PageFtl::Trim(uint64_t lpn) {
  if (lpn >= geo_.logical_pages()) {
    return absl::InvalidArgumentError(
        absl::StrCat("trim: lpn = ", lpn, "; allowed: 0 to ", geo_.logical_pages() - 1));
  }
  ++stats_.trims;
  if (const uint32_t old = l2p_.Get(lpn); old != kUnmapped) Invalidate(old);
  l2p_.Set(lpn, kUnmapped);
  return absl::OkStatus();
}

// ---- IFP regions ----

absl::StatusOr<uint32_t> PageFtl::AllocateIfpRegion(uint64_t ifp_pages, std::vector<FlashOp>* ops) {
  if (ifp_pages == 0) {
    return absl::InvalidArgumentError("aif_post: ifp_pages = 0; allowed: at least 1");
  }
  const uint64_t per_block = geo_.ifp_pages_per_block();
  const uint64_t needed = (ifp_pages + per_block - 1) / per_block;
  // After pinning, the unpinned blocks minus the per-plane reserve (and one
  // block per plane to collect into) must still hold the whole logical space.
  const uint64_t reserve = uint64_t{geo_.planes()} * (ReservedBlocksPerPlane(config_) + 1);
  const uint64_t data_blocks_needed =
      (geo_.logical_pages() + geo_.pages_per_block() - 1) / geo_.pages_per_block();
  const uint64_t unpinned = geo_.total_blocks() - pinned_blocks_;
  const uint64_t can_pin = unpinned > reserve + data_blocks_needed ? unpinned - reserve - data_blocks_needed : 0;
  if (needed > can_pin) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "aif_post: ifp_pages = ", ifp_pages, " needs ", needed, " blocks (", per_block,
        " LSB pages per block); allowed: at most ", can_pin * per_block, " pages (", can_pin,
        " more blocks can be pinned while keeping ", geo_.logical_pages(),
        " logical pages and the GC reserve)"));
  }
  const uint32_t region = static_cast<uint32_t>(regions_.size());
  regions_.emplace_back();
  regions_.back().live = true;
  regions_.back().ppns.reserve(ifp_pages);
  uint64_t written = 0;
  for (uint64_t i = 0; i < needed; ++i) {
    // Round-robin over planes that keep their GC reserve after giving a block.
    uint32_t plane = kNil;
    for (uint32_t attempt = 0; attempt < geo_.planes() && plane == kNil; ++attempt) {
      const uint32_t p = (next_ifp_plane_ + attempt) % geo_.planes();
      if (absl::Status st = Collect(p, config_.gc_free_block_threshold + 1, ops); !st.ok()) return st;
      if (planes_[p].free.size() > config_.gc_free_block_threshold) plane = p;
    }
    if (plane == kNil) {
      // Undo: the blocks pinned so far become ordinary garbage for GC.
      ReleaseIfpRegion(region).IgnoreError();
      return absl::ResourceExhaustedError(absl::StrCat(
          "aif_post: ifp_pages = ", ifp_pages, ": no plane can give a block without dropping below ",
          "its GC reserve; pinned ", i, " of ", needed, " blocks and released them"));
    }
    next_ifp_plane_ = (plane + 1) % geo_.planes();
    const uint32_t id = TakeFreeBlock(plane, Pick::kPreferred);
    Block& b = blocks_[id];
    b.state = BlockState::kPinned;
    b.ifp_region = region;
    b.write_ptr = geo_.pages_per_block();  // CSB/MSB pages stay unused
    ++pinned_blocks_;
    IfpRegion& r = regions_[region];
    r.blocks.push_back(id);
    for (uint64_t w = 0; w < per_block && written < ifp_pages; ++w, ++written) {
      const uint64_t ppn = geo_.Ppn(id, static_cast<uint32_t>(w * geo_.bits_per_cell()));  // LSB page of wordline w
      Emit(ops, FlashOpKind::kProgram, OpCause::kIfp, ppn, true);
      Program(ppn, kIfpTag);
      r.ppns.push_back(ppn);
      ++stats_.ifp_pages_programmed;
    }
  }
  return region;
}

absl::Status PageFtl::ReleaseIfpRegion(uint32_t region) {
  if (region >= regions_.size() || !regions_[region].live) {
    return absl::NotFoundError(absl::StrCat("ifp region ", region, " does not exist or was released"));
  }
  IfpRegion& r = regions_[region];
  for (uint64_t ppn : r.ppns) Invalidate(ppn);  // pinned: no bucket moves yet
  for (uint32_t id : r.blocks) {
    blocks_[id].ifp_region = kNil;
    CloseBlock(id);  // valid 0: the next collection takes it without copies
    --pinned_blocks_;
  }
  r.live = false;
  r.ppns.clear();
  r.blocks.clear();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<FlashAddr>> PageFtl::IfpPages(uint32_t region) const {
  if (region >= regions_.size() || !regions_[region].live) {
    return absl::NotFoundError(absl::StrCat("ifp region ", region, " does not exist or was released"));
  }
  std::vector<FlashAddr> out;
  out.reserve(regions_[region].ppns.size());
  for (uint64_t ppn : regions_[region].ppns) out.push_back(Addr(ppn));
  return out;
}

// ---- Inspection ----

std::optional<FlashAddr> PageFtl::Lookup(uint64_t lpn) const {
  if (lpn >= l2p_.size() || l2p_.Get(lpn) == kUnmapped) return std::nullopt;
  return Addr(l2p_.Get(lpn));
}

uint32_t PageFtl::ValidPages(uint32_t plane, uint32_t block) const {
  return blocks_[geo_.BlockId(plane, block)].valid;
}
uint32_t PageFtl::EraseCount(uint32_t plane, uint32_t block) const {
  return blocks_[geo_.BlockId(plane, block)].erase_count;
}
BlockState PageFtl::State(uint32_t plane, uint32_t block) const {
  return blocks_[geo_.BlockId(plane, block)].state;
}
uint32_t PageFtl::FreeBlocks(uint32_t plane) const { return static_cast<uint32_t>(planes_[plane].free.size()); }

WearStats PageFtl::Wear() const {
  WearStats w;
  w.min_erases = std::numeric_limits<uint32_t>::max();
  double sum = 0, sum2 = 0;
  for (const Block& b : blocks_) {
    w.min_erases = std::min(w.min_erases, b.erase_count);
    w.max_erases = std::max(w.max_erases, b.erase_count);
    sum += b.erase_count;
    sum2 += static_cast<double>(b.erase_count) * b.erase_count;
  }
  const double n = static_cast<double>(blocks_.size());
  w.mean_erases = sum / n;
  w.stddev_erases = std::sqrt(std::max(0.0, sum2 / n - w.mean_erases * w.mean_erases));
  return w;
}

PoolReport PageFtl::Pool() const {
  PoolReport r;
  r.total_blocks = geo_.total_blocks();
  r.pinned_blocks = pinned_blocks_;
  r.gc_pool_blocks = r.total_blocks - r.pinned_blocks;
  r.logical_pages = geo_.logical_pages();
  r.ifp_capacity_pages = pinned_blocks_ * geo_.ifp_pages_per_block();
  r.nominal_spare_factor = 1.0 - static_cast<double>(r.logical_pages) / static_cast<double>(geo_.physical_pages());
  r.effective_spare_factor =
      1.0 - static_cast<double>(r.logical_pages) /
                static_cast<double>(r.gc_pool_blocks * geo_.pages_per_block());
  return r;
}

uint64_t PageFtl::Digest() const {
  sim::DigestBuilder d;
  d.Add(stats_.host_writes).Add(stats_.host_reads).Add(stats_.trims).Add(stats_.gc_victims);
  d.Add(stats_.gc_page_copies).Add(stats_.gc_erases).Add(stats_.wl_migrations).Add(stats_.wl_page_copies);
  d.Add(stats_.wl_erases).Add(stats_.ifp_pages_programmed).Add(stats_.ifp_block_migrations);
  for (const Block& b : blocks_) d.Add(b.erase_count).Add(b.valid);
  // The written part of the table: each allocated chunk by its first LPN,
  // then its entries. Chunks never written hold only kUnmapped and are
  // skipped (hashing every entry of a 512 GiB drive's table took most of a
  // short run's end).
  l2p_.ForEachAllocatedChunk([&](uint64_t first, const uint32_t* entries, uint64_t count) {
    d.Add(first);
    for (uint64_t i = 0; i < count; ++i) d.Add(entries[i]);
  });
  return d.value();
}

absl::Status PageFtl::CheckInvariants() const {
  const uint32_t ppb = geo_.pages_per_block();
  for (uint64_t lpn = 0; lpn < l2p_.size(); ++lpn) {
    const uint32_t ppn = l2p_.Get(lpn);
    if (ppn != kUnmapped && p2l_.Get(ppn) != lpn) {
      return absl::InternalError(absl::StrCat("lpn ", lpn, " maps to ppn ", ppn, " whose reverse entry is ",
                                              p2l_.Get(ppn)));
    }
  }
  for (uint32_t id = 0; id < blocks_.size(); ++id) {
    const Block& b = blocks_[id];
    uint32_t valid = 0;
    for (uint32_t page = 0; page < ppb; ++page) {
      const uint32_t tag = p2l_.Get(geo_.Ppn(id, page));
      if (tag == kUnmapped) continue;
      ++valid;
      if (tag != kIfpTag && l2p_.Get(tag) != geo_.Ppn(id, page)) {
        return absl::InternalError(absl::StrCat("ppn ", geo_.Ppn(id, page), " claims lpn ", tag,
                                                " which maps elsewhere"));
      }
      if (tag == kIfpTag && b.state != BlockState::kPinned) {
        return absl::InternalError(absl::StrCat("block ", id, " holds IFP data but is not pinned"));
      }
      if (page >= b.write_ptr) {
        return absl::InternalError(absl::StrCat("block ", id, " page ", page, " valid beyond write pointer"));
      }
    }
    if (valid != b.valid) {
      return absl::InternalError(absl::StrCat("block ", id, " counts ", b.valid, " valid pages, holds ", valid));
    }
    if (b.state == BlockState::kFree && (b.valid != 0 || b.write_ptr != 0)) {
      return absl::InternalError(absl::StrCat("free block ", id, " is not empty"));
    }
  }
  // Every closed block sits in its plane's bucket for its valid count, once.
  uint64_t closed = 0, listed = 0;
  for (const Block& b : blocks_) closed += b.state == BlockState::kClosed;
  for (uint32_t plane = 0; plane < planes_.size(); ++plane) {
    for (uint32_t v = 0; v <= ppb; ++v) {
      for (uint32_t id = planes_[plane].bucket_head[v]; id != kNil; id = blocks_[id].next) {
        if (blocks_[id].state != BlockState::kClosed || blocks_[id].valid != v || PlaneOf(id) != plane) {
          return absl::InternalError(absl::StrCat("block ", id, " misfiled in plane ", plane, " bucket ", v));
        }
        if (++listed > blocks_.size()) return absl::InternalError("bucket list cycle");
      }
    }
  }
  if (listed != closed) {
    return absl::InternalError(absl::StrCat(closed, " closed blocks but ", listed, " in GC buckets"));
  }
  // Each live region's weight page i sits where MoveIfpBlock expects it: in
  // the region's block i / per_block, on the LSB page of wordline i % per_block.
  const uint64_t per_block = geo_.ifp_pages_per_block();
  for (uint32_t region = 0; region < regions_.size(); ++region) {
    const IfpRegion& r = regions_[region];
    for (uint64_t i = 0; r.live && i < r.ppns.size(); ++i) {
      const uint64_t expected =
          geo_.Ppn(r.blocks[i / per_block], static_cast<uint32_t>((i % per_block) * geo_.bits_per_cell()));
      if (r.ppns[i] != expected || p2l_.Get(r.ppns[i]) != kIfpTag) {
        return absl::InternalError(absl::StrCat("ifp region ", region, " weight page ", i, " at ppn ", r.ppns[i],
                                                ", expected ppn ", expected, " holding IFP data"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::controller
