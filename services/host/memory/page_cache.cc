#include "memory/page_cache.h"

namespace strata::host {

bool PageCache::Touch(uint64_t chunk) {
  auto it = where_.find(chunk);
  if (it == where_.end()) {
    ++misses_;
    return false;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return true;
}

void PageCache::Insert(uint64_t chunk) {
  auto it = where_.find(chunk);
  if (it != where_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  if (capacity_ == 0) return;
  if (lru_.size() == capacity_) {
    where_.erase(lru_.back());
    lru_.pop_back();
    ++evictions_;
  }
  lru_.push_front(chunk);
  where_[chunk] = lru_.begin();
  ++inserts_;
}

}  // namespace strata::host
