#include "ftl/dftl_mapping.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "strata/sim/digest.h"

namespace strata::controller {

namespace {
uint64_t TranslationPages(uint64_t logical_pages, uint32_t entries_per_page) {
  return (logical_pages + entries_per_page - 1) / entries_per_page;
}
}  // namespace

uint32_t DftlMapping::TranslationBlocksPerPlane(const FtlConfig& data, uint32_t entries_per_page) {
  const Geometry g(data);
  return TranslationArea::BlocksPerPlane(TranslationPages(g.logical_pages(), entries_per_page), g.planes(),
                                         g.pages_per_block());
}

absl::StatusOr<std::unique_ptr<DftlMapping>> DftlMapping::Create(const FtlConfig& data, const DftlConfig& config,
                                                                 const std::atomic<bool>* cancel) {
  if (config.cache_entries < 1 || config.cache_entries > LazyPageTable::kMaxValue) {
    return absl::InvalidArgumentError(absl::StrCat("dftl.cache_entries = ", config.cache_entries, "; allowed: 1 to ",
                                                   LazyPageTable::kMaxValue));
  }
  if (config.entries_per_page < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("dftl.entries_per_page = ", config.entries_per_page, "; allowed: at least 1"));
  }
  absl::StatusOr<PageFtl> ftl = PageFtl::Create(data, cancel);
  if (!ftl.ok()) return ftl.status();
  return std::unique_ptr<DftlMapping>(new DftlMapping(*std::move(ftl), config, data.blocks_per_plane));
}

DftlMapping::DftlMapping(PageFtl data, const DftlConfig& config, uint32_t first_translation_block)
    : data_(std::move(data)),
      config_(config),
      cmt_(config.cache_entries, config.entries_per_page),
      area_(TranslationPages(data_.logical_pages(), config.entries_per_page), data_.geometry().planes(),
            first_translation_block, data_.geometry().pages_per_block()) {}

absl::Status DftlMapping::WriteBack(uint64_t tpage, std::vector<FlashOp>* ops) {
  cmt_.CleanPage(tpage);
  if (area_.OnFlash(tpage)) {
    // Read-modify-write: the entries not cached come from the current copy.
    ops->push_back(FlashOp{FlashOpKind::kRead, OpCause::kMapping, area_.Where(tpage), false});
    ++own_.translation_reads;
  }
  if (absl::Status s = area_.Write(tpage, ops); !s.ok()) return s;
  ++own_.translation_writes;
  return absl::OkStatus();
}

absl::Status DftlMapping::EnsureCached(uint64_t lpn, std::vector<FlashOp>* ops) {
  ++own_.mapping_lookups;
  if (cmt_.Touch(lpn)) {
    ++own_.mapping_hits;
    return absl::OkStatus();
  }
  if (std::optional<CachedMappingTable::Evicted> out = cmt_.Insert(lpn, false); out && out->dirty) {
    if (absl::Status s = WriteBack(out->lpn / config_.entries_per_page, ops); !s.ok()) return s;
  }
  const uint64_t tpage = lpn / config_.entries_per_page;
  if (area_.OnFlash(tpage)) {
    FlashOp read{FlashOpKind::kRead, OpCause::kMapping, area_.Where(tpage), false};
    read.read_bytes = config_.lookup_read_bytes;
    ops->push_back(read);
    ++own_.translation_reads;
  }
  return absl::OkStatus();
}

absl::Status DftlMapping::UpdateMoved(std::vector<FlashOp>* ops, size_t first) {
  std::vector<uint64_t> stale;  // translation pages whose entries moved uncached
  for (size_t i = first; i < ops->size(); ++i) {
    const FlashOp& op = (*ops)[i];
    if (op.kind != FlashOpKind::kProgram || (op.cause != OpCause::kGc && op.cause != OpCause::kWearLevel)) continue;
    const std::optional<uint64_t> lpn = data_.LpnAt(op.addr);
    if (!lpn) continue;  // IFP weights, or overwritten since
    if (cmt_.Contains(*lpn)) {
      cmt_.MarkDirty(*lpn);
    } else {
      stale.push_back(*lpn / config_.entries_per_page);
    }
  }
  std::sort(stale.begin(), stale.end());
  stale.erase(std::unique(stale.begin(), stale.end()), stale.end());
  for (uint64_t tpage : stale) {
    if (absl::Status s = WriteBack(tpage, ops); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status DftlMapping::Write(uint64_t lpn, std::vector<FlashOp>* ops) {
  if (lpn >= logical_pages()) return data_.Write(lpn, ops);  // its range error
  if (absl::Status s = EnsureCached(lpn, ops); !s.ok()) return s;
  const size_t first = ops->size();
  if (absl::Status s = data_.Write(lpn, ops); !s.ok()) return s;
  cmt_.MarkDirty(lpn);
  return UpdateMoved(ops, first);
}

absl::Status DftlMapping::Read(uint64_t lpn, std::vector<FlashOp>* ops) {
  if (lpn < logical_pages()) {
    if (absl::Status s = EnsureCached(lpn, ops); !s.ok()) return s;
  }
  return data_.Read(lpn, ops);
}

absl::Status DftlMapping::Trim(uint64_t lpn) {
  if (absl::Status s = data_.Trim(lpn); !s.ok()) return s;
  cmt_.MarkDirty(lpn);
  return absl::OkStatus();
}

const FtlStats& DftlMapping::stats() const {
  merged_ = data_.stats();
  merged_.mapping_lookups = own_.mapping_lookups;
  merged_.mapping_hits = own_.mapping_hits;
  merged_.translation_reads = own_.translation_reads;
  merged_.translation_writes = own_.translation_writes;
  merged_.translation_gc_copies = area_.gc_copies();
  merged_.translation_erases = area_.erases();
  return merged_;
}

uint64_t DftlMapping::Digest() const {
  if (own_.translation_reads + own_.translation_writes == 0) return data_.Digest();
  sim::DigestBuilder d;
  d.Add(data_.Digest()).Add(own_.mapping_lookups).Add(own_.mapping_hits).Add(own_.translation_reads);
  d.Add(own_.translation_writes).Add(area_.gc_copies()).Add(area_.erases()).Add(cmt_.dirty());
  return d.value();
}

}  // namespace strata::controller
