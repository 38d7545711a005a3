// LazyPageTable: a page-number map (the FTL's L2P or P2L) with 4-byte
// entries that costs memory only where it was written.
//
// Why: an eagerly filled 8-byte table made building a 512 GiB drive cost
// ~1000 MiB and seconds (two tables of 64 M entries each, every entry set to
// "unmapped"), although a run touches only the span it writes. Here the
// table is a directory of fixed-size chunks; a chunk is allocated (and set
// to kNone) on its first Set, and Get of any entry in an unallocated chunk is
// kNone without touching memory. A read of never-written space is then a
// mapping miss, as on a real drive, and costs nothing.
//
// Entries are 32-bit: values up to kMaxValue; the FTL refuses geometries
// with more pages (ValidateFtlConfig).
#ifndef STRATA_CONTROLLER_FTL_LAZY_PAGE_TABLE_H_
#define STRATA_CONTROLLER_FTL_LAZY_PAGE_TABLE_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

namespace strata::controller {

class LazyPageTable {
 public:
  static constexpr uint32_t kNone = ~uint32_t{0};
  // The largest value an entry holds; kNone and kNone - 1 are reserved (the
  // P2L marks IFP pages with kNone - 1).
  static constexpr uint32_t kMaxValue = kNone - 2;
  // 16 Ki entries (64 KiB) per chunk: fine enough that a small span costs
  // little, coarse enough that the directory of a 4 G-entry table is 2 MiB.
  static constexpr uint32_t kChunkBits = 14;
  static constexpr uint64_t kChunkEntries = uint64_t{1} << kChunkBits;

  LazyPageTable() = default;
  explicit LazyPageTable(uint64_t size) : size_(size), chunks_((size + kChunkEntries - 1) >> kChunkBits) {}
  LazyPageTable(LazyPageTable&&) noexcept = default;
  LazyPageTable& operator=(LazyPageTable&&) noexcept = default;
  // A deep copy (a PageFtl is copyable).
  LazyPageTable(const LazyPageTable& other);
  LazyPageTable& operator=(const LazyPageTable& other);

  uint64_t size() const { return size_; }

  uint32_t Get(uint64_t i) const {
    const uint32_t* chunk = chunks_[i >> kChunkBits].get();
    return chunk == nullptr ? kNone : chunk[i & (kChunkEntries - 1)];
  }
  // Allocates the entry's chunk on first use. Setting kNone in an
  // unallocated chunk allocates nothing.
  void Set(uint64_t i, uint32_t value) {
    std::unique_ptr<uint32_t[]>& chunk = chunks_[i >> kChunkBits];
    if (chunk == nullptr) {
      if (value == kNone) return;
      chunk = NewChunk();
    }
    chunk[i & (kChunkEntries - 1)] = value;
  }

  // Calls f(first_index, entries, count) for every allocated chunk, in index
  // order. Unallocated chunks hold only kNone; a walk over the written part
  // skips them without touching memory (the FTL's digest of a 512 GiB drive
  // visited 62 M entries to find a few written ones).
  template <typename F>
  void ForEachAllocatedChunk(F f) const {
    for (uint64_t k = 0; k < chunks_.size(); ++k) {
      if (chunks_[k] == nullptr) continue;
      const uint64_t first = k << kChunkBits;
      f(first, chunks_[k].get(), std::min(kChunkEntries, size_ - first));
    }
  }

  // Heap bytes held now: the directory and the allocated chunks.
  uint64_t AllocatedBytes() const;
  // Heap bytes when every chunk is allocated (an upper bound, for the
  // admission estimate), without building the table.
  static uint64_t FullBytes(uint64_t size);

 private:
  static std::unique_ptr<uint32_t[]> NewChunk();

  uint64_t size_ = 0;
  std::vector<std::unique_ptr<uint32_t[]>> chunks_;
};

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_FTL_LAZY_PAGE_TABLE_H_
