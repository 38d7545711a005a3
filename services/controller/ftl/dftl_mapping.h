// DftlMapping: page-level mapping whose table lives on flash, demand-cached
// in controller DRAM (Gupta, Kim and Urgaonkar, "DFTL: a flash translation
// layer employing demand-based selective caching of page-level address
// mappings", ASPLOS 2009).
//
// Hardware: the data blocks and their GC are PageFtl's (page_ftl.h); the
// full LPN -> PPN table is stored in translation pages of entries_per_page
// = page_bytes / 4 entries (a 4-byte PPN each, as DFTL's and MQSim's
// entries; LazyPageTable's entries are 4 bytes too) in translation blocks
// (TranslationArea); controller DRAM holds the cached mapping table
// (CachedMappingTable, `cache_entries` entries, LRU) and the global
// translation directory.
//
// Ports: none (an FtlMapping: each call appends its FlashOps).
//
// Behaviour (each step DFTL's section 3):
//  - A host read or write looks its LPN up in the CMT. A hit costs no flash
//    operation. A miss makes room first: the least recently used entry is
//    evicted, and if it is dirty its translation page is written back with
//    every dirty cached entry of that page (batch update): a read of the
//    page's current copy (read-modify-write; the whole page) and a program
//    of the new copy in the translation blocks. Then the missing entry's
//    translation page is read (one ECC codeword: the entry is 4 bytes) and
//    the entry loaded, clean. A translation page never written (a fresh
//    drive's unwritten span) needs no read: every entry of it is unmapped.
//    Writes look up too: the old mapping names the copy to invalidate
//    (DFTL; MQSim skips the read on a write miss).
//  - A write then changes the entry: it becomes dirty.
//  - Data GC moving a valid page changes its entry: a cached entry becomes
//    dirty; otherwise its translation page is rewritten at once (read and
//    program), once per translation page for all its entries moved by that
//    call (DFTL's batch update of GC).
//  - Trim changes a cached entry (dirty); an uncached one is not updated on
//    flash (no flash operation is modelled for trims).
// All translation-page operations carry OpCause::kMapping; the controller
// runs a command's mapping operations before its data operations.
//
// Parameters: FtlConfig (the data blocks); DftlConfig below.
// Statistics: FtlStats' mapping_* and translation_* fields.
#ifndef STRATA_CONTROLLER_FTL_DFTL_MAPPING_H_
#define STRATA_CONTROLLER_FTL_DFTL_MAPPING_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ftl/cached_mapping_table.h"
#include "ftl/ftl_config.h"
#include "ftl/ftl_mapping.h"
#include "ftl/page_ftl.h"
#include "ftl/translation_area.h"

namespace strata::controller {

struct DftlConfig {
  // Entries the CMT holds (>= 1). MQSim's CMT_Capacity is in bytes.
  uint64_t cache_entries = 0;
  // page_bytes / 4: 4-byte PPN entries per translation page.
  uint32_t entries_per_page = 4096;
  // Bytes a lookup's read moves: the ECC codeword holding the entry
  // (0: the whole page).
  uint32_t lookup_read_bytes = 0;
};

class DftlMapping final : public FtlMapping {
 public:
  // INVALID_ARGUMENT naming the field for a bad config; the translation
  // blocks sit after `data.blocks_per_plane` data blocks on every unit.
  static absl::StatusOr<std::unique_ptr<DftlMapping>> Create(const FtlConfig& data, const DftlConfig& config,
                                                             const std::atomic<bool>* cancel = nullptr);
  // Translation blocks per unit a DFTL over `data` needs.
  static uint32_t TranslationBlocksPerPlane(const FtlConfig& data, uint32_t entries_per_page);

  absl::Status Write(uint64_t lpn, std::vector<FlashOp>* ops) override;
  absl::Status Read(uint64_t lpn, std::vector<FlashOp>* ops) override;
  absl::Status Trim(uint64_t lpn) override;
  std::optional<FlashAddr> Lookup(uint64_t lpn) const override { return data_.Lookup(lpn); }
  uint64_t logical_pages() const override { return data_.logical_pages(); }
  const FtlStats& stats() const override;
  WearStats Wear() const override { return data_.Wear(); }
  // The data FTL's digest; with translation-page flash traffic, also its
  // counts (so a cache of the whole table digests as the table in DRAM).
  uint64_t Digest() const override;

  const PageFtl& data() const { return data_; }
  const CachedMappingTable& cache() const { return cmt_; }
  const TranslationArea& area() const { return area_; }
  const DftlConfig& config() const { return config_; }

 private:
  DftlMapping(PageFtl data, const DftlConfig& config, uint32_t first_translation_block);
  // The lookup of `lpn`: a hit, or the eviction's write-back and the
  // translation page's read.
  absl::Status EnsureCached(uint64_t lpn, std::vector<FlashOp>* ops);
  // Writes back translation page `tpage` with all its dirty cached entries.
  absl::Status WriteBack(uint64_t tpage, std::vector<FlashOp>* ops);
  // Entries of the pages data GC / wear levelling moved in ops[first..].
  absl::Status UpdateMoved(std::vector<FlashOp>* ops, size_t first);

  PageFtl data_;
  DftlConfig config_;
  CachedMappingTable cmt_;
  TranslationArea area_;
  FtlStats own_;                // the mapping_* and translation_* counters
  mutable FtlStats merged_;     // data_'s statistics with own_'s
};

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_FTL_DFTL_MAPPING_H_
