#include "ftl/block_ftl.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "strata/sim/digest.h"
#include "strata/sim/heap_bytes.h"

namespace strata::controller {

absl::StatusOr<BlockFtl> BlockFtl::Create(const BlockFtlConfig& config, const std::atomic<bool>* cancel) {
  // Only the fields this FTL uses (PageFtl's GC reserve rules do not apply).
  const FtlConfig& c = config.ftl;
  auto in_range = [](const char* field, uint64_t v, uint64_t lo, uint64_t hi) {
    return v >= lo && v <= hi ? absl::OkStatus()
                              : absl::InvalidArgumentError(
                                    absl::StrCat("ftl.", field, " = ", v, "; allowed: ", lo, " to ", hi));
  };
  for (absl::Status s : {in_range("planes", c.planes, 1, 4096), in_range("pages_per_block", c.pages_per_block, 1, 4096),
                         in_range("blocks_per_plane", c.blocks_per_plane, 2, 1u << 22)}) {
    if (!s.ok()) return s;
  }
  if (!(c.over_provisioning > 0.0 && c.over_provisioning <= 0.9)) {
    return absl::InvalidArgumentError(absl::StrCat("ftl.over_provisioning = ", c.over_provisioning,
                                                   "; allowed: greater than 0 up to 0.9 (fraction of blocks)"));
  }
  const auto logical_per_plane = static_cast<uint32_t>(LogicalPages(c) / (uint64_t{c.planes} * c.pages_per_block));
  const uint32_t spare = c.blocks_per_plane - logical_per_plane;
  if (spare < config.log_blocks_per_plane + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "log_blocks_per_plane = ", config.log_blocks_per_plane, " with over_provisioning = ", c.over_provisioning,
        " leaves ", spare, " spare blocks per plane of ", c.blocks_per_plane, "; allowed: log_blocks_per_plane 0 to ",
        spare == 0 ? 0 : spare - 1, " (a full merge needs one free block), or more over_provisioning"));
  }
  if (logical_per_plane == 0) {
    return absl::InvalidArgumentError(absl::StrCat("over_provisioning = ", c.over_provisioning,
                                                   " leaves no logical block; allowed: below ",
                                                   1.0 - 1.0 / c.blocks_per_plane));
  }
  BlockFtl ftl(config);
  if (!ftl.Init(cancel)) return absl::CancelledError("cancelled while building the drive's FTL tables");
  ftl.logical_blocks_ = logical_per_plane * c.planes;
  ftl.logical_.resize(ftl.logical_blocks_);
  return ftl;
}

uint64_t BlockFtl::LogicalPages(const FtlConfig& c) {
  const auto blocks_per_plane =
      static_cast<uint64_t>(std::floor(static_cast<double>(c.blocks_per_plane) * (1.0 - c.over_provisioning)));
  return blocks_per_plane * c.planes * c.pages_per_block;
}

uint64_t BlockFtl::TableBytes(const BlockFtlConfig& config) {
  const FtlConfig& c = config.ftl;
  const uint64_t logical_blocks = LogicalPages(c) / c.pages_per_block;
  const uint64_t where = sim::HeapChunkBytes(c.pages_per_block * sizeof(int32_t));
  const uint64_t log_offsets = sim::HeapChunkBytes(c.pages_per_block * sizeof(uint32_t));
  const uint64_t physical =
      uint64_t{c.blocks_per_plane} * (sizeof(PhysicalBlock) + sim::TreeNodeBytes<std::pair<uint64_t, uint32_t>>());
  return logical_blocks * (sizeof(LogicalBlock) + where) +
         uint64_t{c.planes} * (sizeof(Plane) + physical + config.log_blocks_per_plane * log_offsets);
}

BlockFtl::BlockFtl(const BlockFtlConfig& config) : config_(config), ppb_(config.ftl.pages_per_block) {}

bool BlockFtl::Init(const std::atomic<bool>* cancel) {
  planes_.resize(config_.ftl.planes);
  for (Plane& p : planes_) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return false;
    p.blocks.resize(config_.ftl.blocks_per_plane);
    for (uint32_t b = 0; b < config_.ftl.blocks_per_plane; ++b) {
      p.free.insert({config_.ftl.dynamic_wear_levelling ? 0 : free_clock_++, b});
    }
  }
  return true;
}

void BlockFtl::Emit(std::vector<FlashOp>* ops, FlashOpKind kind, OpCause cause, uint32_t plane, uint32_t block,
                    uint32_t page) const {
  FlashOp op;
  op.kind = kind;
  op.cause = cause;
  op.addr = {plane, block, kind == FlashOpKind::kErase ? 0 : page};
  ops->push_back(op);
}

absl::StatusOr<uint32_t> BlockFtl::TakeFree(uint32_t plane) {
  Plane& p = planes_[plane];
  if (p.free.empty()) {
    return absl::ResourceExhaustedError(absl::StrCat("plane ", plane, " has no free block"));
  }
  const uint32_t block = p.free.begin()->second;
  p.free.erase(p.free.begin());
  return block;
}

void BlockFtl::Erase(uint32_t plane, uint32_t block, std::vector<FlashOp>* ops) {
  Emit(ops, FlashOpKind::kErase, OpCause::kGc, plane, block, 0);
  PhysicalBlock& b = planes_[plane].blocks[block];
  b.write_ptr = 0;
  ++b.erase_count;
  ++stats_.gc_erases;
  const uint64_t key = config_.ftl.dynamic_wear_levelling ? b.erase_count : free_clock_++;
  planes_[plane].free.insert({key, block});
}

absl::Status BlockFtl::Write(uint64_t lpn, std::vector<FlashOp>* ops) {
  if (lpn >= logical_pages()) {
    return absl::InvalidArgumentError(absl::StrCat("lpn = ", lpn, "; allowed: 0 to ", logical_pages() - 1));
  }
  const auto lbn = static_cast<uint32_t>(lpn / ppb_);
  const auto offset = static_cast<uint32_t>(lpn % ppb_);
  const uint32_t plane = PlaneOf(lbn);
  LogicalBlock& l = logical_[lbn];
  if (l.where.empty()) l.where.assign(ppb_, kNone);
  ++stats_.host_writes;
  if (l.data == kNil) {
    absl::StatusOr<uint32_t> block = TakeFree(plane);
    if (!block.ok()) return block.status();
    l.data = *block;
  }
  PhysicalBlock& data = planes_[plane].blocks[l.data];
  if (offset >= data.write_ptr) {  // in place (any log copy of the offset is now stale)
    Emit(ops, FlashOpKind::kProgram, OpCause::kHost, plane, l.data, offset);
    data.write_ptr = offset + 1;
    l.where[offset] = kData;
    return absl::OkStatus();
  }
  if (config_.log_blocks_per_plane == 0) return FullMerge(lbn, static_cast<int32_t>(offset), ops);
  if (l.log == kNil) {
    if (absl::Status s = OpenLog(lbn, ops); !s.ok()) return s;
  }
  PhysicalBlock& log = planes_[plane].blocks[l.log];
  Emit(ops, FlashOpKind::kProgram, OpCause::kHost, plane, l.log, log.write_ptr);
  l.where[offset] = static_cast<int32_t>(log.write_ptr);
  l.log_offsets.push_back(offset);
  if (++log.write_ptr == ppb_) return Merge(lbn, ops);
  return absl::OkStatus();
}

absl::Status BlockFtl::OpenLog(uint32_t lbn, std::vector<FlashOp>* ops) {
  Plane& p = planes_[PlaneOf(lbn)];
  if (p.log_owners.size() >= config_.log_blocks_per_plane) {
    if (absl::Status s = Merge(p.log_owners.front(), ops); !s.ok()) return s;
  }
  absl::StatusOr<uint32_t> block = TakeFree(PlaneOf(lbn));
  if (!block.ok()) return block.status();
  logical_[lbn].log = *block;
  logical_[lbn].log_offsets.clear();
  p.log_owners.push_back(lbn);
  return absl::OkStatus();
}

absl::Status BlockFtl::Merge(uint32_t lbn, std::vector<FlashOp>* ops) {
  LogicalBlock& l = logical_[lbn];
  const uint32_t plane = PlaneOf(lbn);
  Plane& p = planes_[plane];
  p.log_owners.erase(std::find(p.log_owners.begin(), p.log_owners.end(), lbn));
  // Switch or partial: the log holds offsets 0..n-1 in order, all still valid.
  const auto n = static_cast<uint32_t>(l.log_offsets.size());
  bool in_order = true;
  for (uint32_t i = 0; i < n && in_order; ++i) {
    in_order = l.log_offsets[i] == i && l.where[i] == static_cast<int32_t>(i);
  }
  if (!in_order) return FullMerge(lbn, -1, ops);
  PhysicalBlock& log = p.blocks[l.log];
  uint64_t copies = 0;
  for (uint32_t o = n; o < ppb_; ++o) {
    if (l.where[o] != kData) continue;
    Emit(ops, FlashOpKind::kRead, OpCause::kGc, plane, l.data, o);
    Emit(ops, FlashOpKind::kProgram, OpCause::kGc, plane, l.log, o);
    log.write_ptr = o + 1;
    ++copies;
  }
  for (uint32_t o = 0; o < ppb_; ++o) {
    if (l.where[o] != kNone) l.where[o] = kData;
  }
  stats_.gc_page_copies += copies;
  ++stats_.gc_victims;
  ++(copies == 0 ? merges_.switch_merges : merges_.partial_merges);
  const uint32_t old_data = l.data;
  l.data = l.log;
  l.log = kNil;
  l.log_offsets.clear();
  Erase(plane, old_data, ops);
  return absl::OkStatus();
}

absl::Status BlockFtl::FullMerge(uint32_t lbn, int32_t new_offset, std::vector<FlashOp>* ops) {
  LogicalBlock& l = logical_[lbn];
  const uint32_t plane = PlaneOf(lbn);
  absl::StatusOr<uint32_t> fresh = TakeFree(plane);
  if (!fresh.ok()) return fresh.status();
  PhysicalBlock& target = planes_[plane].blocks[*fresh];
  uint64_t copies = 0;
  for (uint32_t o = 0; o < ppb_; ++o) {
    if (static_cast<int32_t>(o) == new_offset) {
      Emit(ops, FlashOpKind::kProgram, OpCause::kHost, plane, *fresh, o);
    } else if (l.where[o] == kNone) {
      continue;
    } else {
      const bool in_data = l.where[o] == kData;
      Emit(ops, FlashOpKind::kRead, OpCause::kGc, plane, in_data ? l.data : l.log,
           in_data ? o : static_cast<uint32_t>(l.where[o]));
      Emit(ops, FlashOpKind::kProgram, OpCause::kGc, plane, *fresh, o);
      ++copies;
    }
    l.where[o] = kData;
    target.write_ptr = o + 1;
  }
  stats_.gc_page_copies += copies;
  ++stats_.gc_victims;
  ++merges_.full_merges;
  const uint32_t old_data = l.data, old_log = l.log;
  l.data = *fresh;
  l.log = kNil;
  l.log_offsets.clear();
  Erase(plane, old_data, ops);
  if (old_log != kNil) {
    Plane& p = planes_[plane];
    if (auto it = std::find(p.log_owners.begin(), p.log_owners.end(), lbn); it != p.log_owners.end()) {
      p.log_owners.erase(it);
    }
    Erase(plane, old_log, ops);
  }
  return absl::OkStatus();
}

std::optional<FlashAddr> BlockFtl::Lookup(uint64_t lpn) const {
  if (lpn >= logical_pages()) return std::nullopt;
  const auto lbn = static_cast<uint32_t>(lpn / ppb_);
  const auto offset = static_cast<uint32_t>(lpn % ppb_);
  const LogicalBlock& l = logical_[lbn];
  if (l.where.empty() || l.where[offset] == kNone) return std::nullopt;
  if (l.where[offset] == kData) return FlashAddr{PlaneOf(lbn), l.data, offset};
  return FlashAddr{PlaneOf(lbn), l.log, static_cast<uint32_t>(l.where[offset])};
}

absl::Status BlockFtl::Read(uint64_t lpn, std::vector<FlashOp>* ops) {
  if (lpn >= logical_pages()) {
    return absl::InvalidArgumentError(absl::StrCat("lpn = ", lpn, "; allowed: 0 to ", logical_pages() - 1));
  }
  const std::optional<FlashAddr> at = Lookup(lpn);
  if (!at) return absl::NotFoundError(absl::StrCat("lpn ", lpn, " is not mapped"));
  ++stats_.host_reads;
  Emit(ops, FlashOpKind::kRead, OpCause::kHost, at->plane, at->block, at->page);
  return absl::OkStatus();
}

absl::Status BlockFtl::Trim(uint64_t lpn) {
  if (lpn >= logical_pages()) {
    return absl::InvalidArgumentError(absl::StrCat("lpn = ", lpn, "; allowed: 0 to ", logical_pages() - 1));
  }
  ++stats_.trims;
  LogicalBlock& l = logical_[lpn / ppb_];
  if (!l.where.empty()) l.where[lpn % ppb_] = kNone;
  return absl::OkStatus();
}

WearStats BlockFtl::Wear() const {
  WearStats w;
  w.min_erases = std::numeric_limits<uint32_t>::max();
  double sum = 0, sum2 = 0, n = 0;
  for (const Plane& p : planes_) {
    for (const PhysicalBlock& b : p.blocks) {
      w.min_erases = std::min(w.min_erases, b.erase_count);
      w.max_erases = std::max(w.max_erases, b.erase_count);
      sum += b.erase_count;
      sum2 += static_cast<double>(b.erase_count) * b.erase_count;
      ++n;
    }
  }
  w.mean_erases = sum / n;
  w.stddev_erases = std::sqrt(std::max(0.0, sum2 / n - w.mean_erases * w.mean_erases));
  return w;
}

uint64_t BlockFtl::Digest() const {
  sim::DigestBuilder d;
  d.Add(stats_.host_writes).Add(stats_.host_reads).Add(stats_.trims).Add(stats_.gc_victims);
  d.Add(stats_.gc_page_copies).Add(stats_.gc_erases);
  d.Add(merges_.switch_merges).Add(merges_.partial_merges).Add(merges_.full_merges);
  for (const Plane& p : planes_) {
    for (const PhysicalBlock& b : p.blocks) d.Add(b.erase_count).Add(b.write_ptr);
  }
  for (const LogicalBlock& l : logical_) {
    d.Add(l.data).Add(l.log);
    for (int32_t w : l.where) d.Add(static_cast<int64_t>(w));
  }
  return d.value();
}

absl::Status BlockFtl::CheckInvariants() const {
  for (uint32_t plane = 0; plane < planes_.size(); ++plane) {
    const Plane& p = planes_[plane];
    std::vector<int> uses(p.blocks.size(), 0);
    for (const auto& [key, block] : p.free) ++uses[block];
    for (uint32_t lbn = plane; lbn < logical_blocks_; lbn += static_cast<uint32_t>(planes_.size())) {
      const LogicalBlock& l = logical_[lbn];
      if (l.data != kNil) ++uses[l.data];
      if (l.log != kNil) ++uses[l.log];
      for (uint32_t o = 0; o < l.where.size(); ++o) {
        const int32_t w = l.where[o];
        if (w == kData && (l.data == kNil || o >= p.blocks[l.data].write_ptr)) {
          return absl::InternalError(absl::StrCat("lbn ", lbn, " offset ", o, " maps to an unprogrammed data page"));
        }
        if (w >= 0 && (l.log == kNil || static_cast<uint32_t>(w) >= l.log_offsets.size() ||
                       l.log_offsets[w] != o)) {
          return absl::InternalError(absl::StrCat("lbn ", lbn, " offset ", o, " maps to log page ", w,
                                                  " which holds another offset"));
        }
      }
    }
    for (uint32_t b = 0; b < uses.size(); ++b) {
      if (uses[b] != 1) {
        return absl::InternalError(absl::StrCat("plane ", plane, " block ", b, " is used ", uses[b],
                                                " times (free, data or log)"));
      }
    }
    if (p.log_owners.size() > config_.log_blocks_per_plane) {
      return absl::InternalError(absl::StrCat("plane ", plane, " has ", p.log_owners.size(), " log blocks"));
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::controller
