// CachedMappingTable: DFTL's cached mapping table (CMT), the part of a
// page-level mapping table a controller keeps in its DRAM.
//
// Hardware: a fixed number of LPN -> PPN entries in controller DRAM (Gupta
// et al., "DFTL", ASPLOS 2009, section 3.1), replaced least recently used
// (the paper's segmented LRU without its protected segment). An entry is
// dirty when the host or GC changed it since it was loaded: its translation
// page on flash is stale. The PPN itself is not held here (the simulator's
// PageFtl keeps the true mapping); the table models which entries are in
// DRAM and which are dirty, which is what decides the flash traffic.
//
// Dirty entries are also listed per translation page (entries_per_page
// consecutive LPNs), so a write-back finds every dirty entry of the page it
// writes (DFTL's batch update) in time proportional to their number.
#ifndef STRATA_CONTROLLER_FTL_CACHED_MAPPING_TABLE_H_
#define STRATA_CONTROLLER_FTL_CACHED_MAPPING_TABLE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace strata::controller {

class CachedMappingTable {
 public:
  // `capacity` entries (>= 1); translation pages of `entries_per_page` LPNs.
  CachedMappingTable(uint64_t capacity, uint64_t entries_per_page);

  struct Evicted {
    uint64_t lpn;
    bool dirty;
  };

  // A lookup: true (and the entry becomes most recently used) when cached.
  bool Touch(uint64_t lpn);
  bool Contains(uint64_t lpn) const { return index_.contains(lpn); }
  bool IsDirty(uint64_t lpn) const;
  // Loads an entry that is not cached as most recently used, evicting the
  // least recently used one when full.
  std::optional<Evicted> Insert(uint64_t lpn, bool dirty);
  // Marks a cached entry dirty (no-op when it is not cached).
  void MarkDirty(uint64_t lpn);
  // Cleans every dirty cached entry of translation page `tpage` (they are
  // being written back together); returns how many there were.
  uint64_t CleanPage(uint64_t tpage);

  uint64_t size() const { return index_.size(); }
  uint64_t capacity() const { return capacity_; }
  uint64_t dirty() const { return dirty_count_; }

 private:
  static constexpr uint32_t kNil = ~uint32_t{0};
  struct Node {
    uint64_t lpn = 0;
    uint32_t prev = kNil, next = kNil;     // LRU list, head = most recent
    uint32_t dprev = kNil, dnext = kNil;   // its translation page's dirty list
    bool dirty = false;
  };
  void Unlink(uint32_t n);
  void PushFront(uint32_t n);
  void SetDirty(uint32_t n);
  void ClearDirty(uint32_t n);

  uint64_t capacity_;
  uint64_t entries_per_page_;
  std::vector<Node> nodes_;
  absl::flat_hash_map<uint64_t, uint32_t> index_;        // lpn -> node
  absl::flat_hash_map<uint64_t, uint32_t> dirty_heads_;  // tpage -> first dirty node
  uint32_t head_ = kNil, tail_ = kNil;
  uint64_t dirty_count_ = 0;
};

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_FTL_CACHED_MAPPING_TABLE_H_
