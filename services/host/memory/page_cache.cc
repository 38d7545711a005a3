#include "memory/page_cache.h"

#include <cmath>

namespace strata::host {

uint32_t PageCache::InactiveRatio(uint64_t bytes) {
  const uint64_t gib = bytes >> 30;
  if (gib == 0) return 1;
  auto r = static_cast<uint32_t>(std::sqrt(static_cast<double>(10 * gib)));
  while (uint64_t{r} * r > 10 * gib) --r;  // int_sqrt: the floor
  while (uint64_t{r + 1} * (r + 1) <= 10 * gib) ++r;
  return r;
}

bool PageCache::Touch(uint64_t chunk) {
  auto it = where_.find(chunk);
  if (it == where_.end()) {
    ++misses_;
    return false;
  }
  ++hits_;
  if (policy_ == PageCachePolicy::kLru) {
    inactive_.splice(inactive_.begin(), inactive_, it->second.it);
  } else {
    it->second.young = true;
  }
  return true;
}

void PageCache::Insert(uint64_t chunk, bool accessed) {
  auto it = where_.find(chunk);
  if (it != where_.end()) {
    if (policy_ == PageCachePolicy::kLru) {
      inactive_.splice(inactive_.begin(), inactive_, it->second.it);
    } else if (accessed) {
      it->second.young = true;
    }
    return;
  }
  if (capacity_ == 0) return;
  if (where_.size() >= capacity_) ReclaimOne();
  Entry e;
  e.young = accessed;
  if (policy_ == PageCachePolicy::kLinuxTwoList) {
    // A refault whose distance fits the active list is part of the working
    // set: it goes straight to the active list (workingset_refault).
    if (auto s = shadow_.find(chunk); s != shadow_.end()) {
      const uint64_t distance = nonresident_age_ - s->second;
      shadow_.erase(s);
      if (distance <= active_.size() + anon_) {
        e.active = true;
        ++refault_activations_;
        ++activations_;
        ++nonresident_age_;
      }
    }
  }
  std::list<uint64_t>& list = e.active ? active_ : inactive_;
  list.push_front(chunk);
  e.it = list.begin();
  where_[chunk] = e;
  ++inserts_;
}

void PageCache::ReclaimOne() {
  if (policy_ == PageCachePolicy::kLru) {
    where_.erase(inactive_.back());
    inactive_.pop_back();
    ++evictions_;
    return;
  }
  // Terminates: every step deactivates an active chunk or clears a young
  // bit, and only Touch/Insert set them.
  while (true) {
    if (!active_.empty() && (inactive_.empty() || inactive_.size() * inactive_ratio_ < active_.size())) {
      const uint64_t c = active_.back();
      Entry& e = where_[c];
      inactive_.splice(inactive_.begin(), active_, e.it);
      e.active = false;
      e.young = false;
      continue;
    }
    const uint64_t c = inactive_.back();
    Entry& e = where_[c];
    if (e.young) {
      e.young = false;
      if (e.referenced) {
        active_.splice(active_.begin(), inactive_, e.it);
        e.active = true;
        ++activations_;
      } else {
        e.referenced = true;
        inactive_.splice(inactive_.begin(), inactive_, e.it);
      }
      continue;
    }
    shadow_[c] = nonresident_age_++;
    where_.erase(c);
    inactive_.pop_back();
    ++evictions_;
    return;
  }
}

}  // namespace strata::host
