// PageCache: the OS page cache holding a file's contents in DRAM, in
// fixed-size chunks of the file (one chunk = one readahead window), under
// one of two replacement policies.
//
// kLinuxTwoList (the default): Linux's classic file LRU as the AiF paper's
// kernel ran it. AiF evaluated on NVMeVirt, a kernel module for Linux 5.x;
// MGLRU (6.1+) is off unless CONFIG_LRU_GEN_ENABLED, so the two lists of
// mm/vmscan.c with refault detection (mm/workingset.c, since 3.15) apply:
//  - A chunk read from the SSD enters the head of the inactive list, or of
//    the active list when it refaults: the evictions since it was evicted
//    (its shadow entry's refault distance) are at most the workingset size,
//    the active list plus, when swap is on, anonymous memory
//    (workingset_refault, Linux 5.9+).
//  - An mmapped chunk is not moved when it is used: the CPU's access sets
//    its page-table accessed ("young") bit, nothing else (Touch).
//  - Reclaim takes the inactive tail (shrink_page_list with
//    page_check_references): young and already PG_referenced -> activated
//    (to the active head); young only -> PG_referenced set and rotated to
//    the inactive head (a mapped page gets one more trip); not young ->
//    evicted, leaving a shadow entry. Each check clears the young bit.
//  - When the inactive list is low (inactive x inactive_ratio < active,
//    inactive_ratio = int_sqrt(10 x GiB of file LRU), inactive_is_low), the
//    active tail is deactivated to the inactive head, its young bit
//    cleared (shrink_active_list; the weights are not VM_EXEC).
// On a cyclic scan of a file larger than the cache (decode's weight
// stream) this differs from one LRU list only through refault activation:
// every chunk loses its young bit on its first trip down the inactive list
// and is evicted on its second, before the scan returns, unless its refault
// distance fits the workingset; the few activated chunks then survive a
// pass. So the hit rate stays near 0, as a measured llama.cpp run shows
// (ggml-org/llama.cpp#711: a 20 GB model on a 16 GB laptop, 20 s per token
// from a 1 GB/s NVMe drive: the whole file read every token). Approximations: chunk-granular aging (pages age in groups of a
// readahead window); reclaim evicts one chunk per insert, not in
// SWAP_CLUSTER_MAX batches; no anonymous memory or other files compete.
//
// kLru: a single LRU list, a hit moves the chunk to the front (what the
// model used before issue 19; kept for comparison).
//
// Ports: none (a library the executor calls; no time).
// Parameters: capacity in chunks, policy, inactive_ratio.
// Statistics: hits, misses (Touch of an absent chunk), inserts, evictions,
//   activations (reclaim and refault), refault activations.
#ifndef STRATA_HOST_MEMORY_PAGE_CACHE_H_
#define STRATA_HOST_MEMORY_PAGE_CACHE_H_

#include <cstdint>
#include <list>
#include <unordered_map>
#include <utility>

#include "strata/sim/heap_bytes.h"

namespace strata::host {

enum class PageCachePolicy { kLinuxTwoList, kLru };

class PageCache {
 public:
  explicit PageCache(uint64_t capacity_chunks, PageCachePolicy policy = PageCachePolicy::kLinuxTwoList,
                     uint32_t inactive_ratio = 1, uint64_t anon_workingset_chunks = 0)
      : capacity_(capacity_chunks),
        policy_(policy),
        inactive_ratio_(inactive_ratio > 0 ? inactive_ratio : 1),
        anon_(anon_workingset_chunks) {}

  // Linux's inactive_ratio for a file LRU of `bytes`: int_sqrt(10 x GiB),
  // 1 below 1 GiB (mm/vmscan.c inactive_is_low).
  static uint32_t InactiveRatio(uint64_t bytes);

  // Heap bytes of a cached chunk (its lookup entry and list node) and of an
  // evicted chunk's shadow entry (kLinuxTwoList only; dropped on refault):
  // the admission estimate's page-cache term (docs/admission.md).
  static constexpr size_t ResidentChunkBytes() {
    return sim::HashNodeBytes<std::pair<const uint64_t, Entry>>() + sim::ListNodeBytes<uint64_t>();
  }
  static constexpr size_t ShadowChunkBytes() { return sim::HashNodeBytes<std::pair<const uint64_t, uint64_t>>(); }

  // True (a hit) if `chunk` is cached. Two lists: its accessed bit is set;
  // LRU: it becomes the most recently used.
  bool Touch(uint64_t chunk);
  // Whether `chunk` is cached, without counting or reordering.
  bool Contains(uint64_t chunk) const { return where_.count(chunk) > 0; }
  // Caches `chunk` (reclaiming one chunk first when full); `accessed`: the
  // fault that read it maps it for the CPU at once (young). A cached chunk:
  // LRU moves it to the front; two lists mark it accessed if `accessed`.
  void Insert(uint64_t chunk, bool accessed = false);

  uint64_t capacity() const { return capacity_; }
  uint64_t size() const { return where_.size(); }
  uint64_t active_size() const { return active_.size(); }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  uint64_t inserts() const { return inserts_; }
  uint64_t evictions() const { return evictions_; }
  uint64_t activations() const { return activations_; }
  uint64_t refault_activations() const { return refault_activations_; }

 private:
  struct Entry {
    std::list<uint64_t>::iterator it;
    bool active = false;
    bool young = false;       // page-table accessed bit
    bool referenced = false;  // PG_referenced
  };
  void ReclaimOne();

  const uint64_t capacity_;
  const PageCachePolicy policy_;
  const uint32_t inactive_ratio_;
  const uint64_t anon_;  // anonymous memory in the workingset size (swap on)
  // Front: head (most recent). kLru uses inactive_ only.
  std::list<uint64_t> inactive_, active_;
  // Lookup only; never iterated, so their order cannot reach results.
  std::unordered_map<uint64_t, Entry> where_;
  std::unordered_map<uint64_t, uint64_t> shadow_;  // evicted chunk -> nonresident age at eviction
  uint64_t nonresident_age_ = 0;                   // evictions + refault activations
  uint64_t hits_ = 0, misses_ = 0, inserts_ = 0, evictions_ = 0, activations_ = 0, refault_activations_ = 0;
};

}  // namespace strata::host

#endif  // STRATA_HOST_MEMORY_PAGE_CACHE_H_
