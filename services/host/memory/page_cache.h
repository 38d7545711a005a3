// PageCache: the OS page cache holding a file's contents in DRAM, as an LRU
// list of fixed-size chunks of the file (one chunk = one readahead window).
//
// Hardware/OS it stands for: Linux's page cache under an mmapped weights
// file (llama.cpp's default loading). Linux keeps two lists (inactive and
// active) and, since 3.15, promotes a refaulting page only when its refault
// distance is shorter than the active list (mm/workingset.c). On a cyclic
// scan of a file larger than the cache every refault distance exceeds the
// cache, so nothing is promoted and each page is evicted before its next
// use: plain LRU gives the same ~0 hits, and the same full hits when the
// file fits. What is not modelled: page-granular eviction (chunks are
// evicted whole), other files and anonymous memory competing for DRAM.
//
// Ports: none (a library the executor calls; no time).
// Parameters: capacity in chunks.
// Statistics: hits, misses (Touch of an absent chunk), inserts, evictions.
#ifndef STRATA_HOST_MEMORY_PAGE_CACHE_H_
#define STRATA_HOST_MEMORY_PAGE_CACHE_H_

#include <cstdint>
#include <list>
#include <unordered_map>

namespace strata::host {

class PageCache {
 public:
  explicit PageCache(uint64_t capacity_chunks) : capacity_(capacity_chunks) {}

  // True (a hit) if `chunk` is cached; it becomes the most recently used.
  bool Touch(uint64_t chunk);
  // Whether `chunk` is cached, without counting or reordering.
  bool Contains(uint64_t chunk) const { return where_.count(chunk) > 0; }
  // Caches `chunk` as the most recently used, evicting the least recently
  // used chunk when full. A cached chunk is only moved to the front.
  void Insert(uint64_t chunk);

  uint64_t capacity() const { return capacity_; }
  uint64_t size() const { return lru_.size(); }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  uint64_t inserts() const { return inserts_; }
  uint64_t evictions() const { return evictions_; }

 private:
  const uint64_t capacity_;
  std::list<uint64_t> lru_;  // front: most recently used
  // Lookup only; never iterated, so its order cannot reach results.
  std::unordered_map<uint64_t, std::list<uint64_t>::iterator> where_;
  uint64_t hits_ = 0, misses_ = 0, inserts_ = 0, evictions_ = 0;
};

}  // namespace strata::host

#endif  // STRATA_HOST_MEMORY_PAGE_CACHE_H_
