#include "strata/sim/event_set.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "absl/strings/str_cat.h"

namespace strata::sim {

absl::StatusOr<EventSetKind> ParseEventSetKind(std::string_view name) {
  if (name == "heap4") return EventSetKind::kQuaternaryHeap;
  if (name == "heap4-inline") return EventSetKind::kInlineQuaternaryHeap;
  if (name == "calendar") return EventSetKind::kCalendarQueue;
  if (name == "radix") return EventSetKind::kRadixHeap;
  return absl::InvalidArgumentError(absl::StrCat("event_set = '", absl::string_view(name.data(), name.size()),
                                                 "'; allowed: heap4, heap4-inline, calendar, radix"));
}

std::string_view EventSetKindName(EventSetKind kind) {
  switch (kind) {
    case EventSetKind::kQuaternaryHeap: return "heap4";
    case EventSetKind::kInlineQuaternaryHeap: return "heap4-inline";
    case EventSetKind::kCalendarQueue: return "calendar";
    case EventSetKind::kRadixHeap: return "radix";
  }
  return "?";
}

std::unique_ptr<PendingEventSet> MakeEventSet(EventSetKind kind) {
  if (kind == EventSetKind::kCalendarQueue) return std::make_unique<CalendarQueue>();
  if (kind == EventSetKind::kInlineQuaternaryHeap) return std::make_unique<InlineQuaternaryHeap>();
  if (kind == EventSetKind::kRadixHeap) return std::make_unique<RadixHeap>();
  return std::make_unique<QuaternaryHeap>();
}

namespace {
// Moves `item` up from `hole` in a 4-ary heap `a` while it comes before its
// parent; returns where it belongs (the caller stores it there).
template <typename T, typename Before>
inline size_t SiftUp(T* a, size_t hole, const T& item, Before before) {
  while (hole > 0) {
    const size_t parent = (hole - 1) >> 2;
    if (!before(item, a[parent])) break;
    a[hole] = a[parent];
    hole = parent;
  }
  return hole;
}
}  // namespace

// ---- QuaternaryHeap (keys + slab) -------------------------------------------

QuaternaryHeap::~QuaternaryHeap() {
  std::free(keys_);
  std::free(slots_);
}

void QuaternaryHeap::Grow() {
  // 1.5x growth: a steady population (PHOLD's, a die's queue) wastes at
  // most a third of the key array instead of half.
  const size_t capacity = capacity_ == 0 ? 1024 : capacity_ + capacity_ / 2;
  // aligned_alloc wants a size that is a multiple of the alignment.
  auto line_multiple = [](size_t bytes) { return (bytes + 63) / 64 * 64; };
  auto* keys = static_cast<Key*>(std::aligned_alloc(64, line_multiple(capacity * sizeof(Key))));
  auto* slots = static_cast<uint32_t*>(std::aligned_alloc(64, line_multiple(capacity * sizeof(uint32_t))));
  if (keys == nullptr || slots == nullptr) {
    std::free(keys);
    std::free(slots);
    throw std::bad_alloc();
  }
  if (keys_ != nullptr) {
    std::memcpy(keys, keys_, (size_ + kOffset) * sizeof(Key));
    std::memcpy(slots, slots_, (size_ + kOffset) * sizeof(uint32_t));
  }
  std::free(keys_);
  std::free(slots_);
  keys_ = keys;
  slots_ = slots;
  capacity_ = capacity;
}

void QuaternaryHeap::SiftUpFrom(size_t hole, const Key& key, uint32_t slot) {
  Key* k = keys_ + kOffset;
  uint32_t* s = slots_ + kOffset;
  while (hole > 0) {
    const size_t parent = (hole - 1) >> 2;
    if (!KeyBefore(key, k[parent])) break;
    k[hole] = k[parent];
    s[hole] = s[parent];
    hole = parent;
  }
  k[hole] = key;
  s[hole] = slot;
}

void QuaternaryHeap::Push(const Event& event) {
  if (size_ + kOffset >= capacity_) Grow();
  const uint32_t slot = slab_.Put(event);
  SiftUpFrom(size_++, Key{event.time.ps(), event.order}, slot);
}

bool QuaternaryHeap::PopBefore(SimTime bound, Event* out) {
  if (size_ == 0 || !(keys_[kOffset].time < bound.ps())) return false;
  Key* k = keys_ + kOffset;
  uint32_t* s = slots_ + kOffset;
  *out = slab_.Take(s[0]);
  const Key last = k[--size_];
  const uint32_t last_slot = s[size_];
  const size_t n = size_;
  if (n == 0) return true;
  size_t hole = 0;
  for (;;) {
    const size_t first = 4 * hole + 1;
    if (first >= n) break;
    const size_t end = std::min(first + 4, n);
    // Smallest of up to four children without data-dependent branches on
    // time (they would mispredict half the time): the choice is a
    // conditional move; an exact time tie takes a branch to compare orders,
    // which sit in the same line.
    size_t best = first;
    int64_t best_time = k[first].time;
    for (size_t c = first + 1; c < end; ++c) {
      const int64_t t = k[c].time;
      bool take = t < best_time;
      if (t == best_time) [[unlikely]] take = k[c].order < k[best].order;
      best = take ? c : best;
      best_time = take ? t : best_time;
    }
    k[hole] = k[best];
    s[hole] = s[best];
    hole = best;
  }
  SiftUpFrom(hole, last, last_slot);
  return true;
}

// ---- InlineQuaternaryHeap ---------------------------------------------------

void InlineQuaternaryHeap::Push(const Event& event) {
  heap_.push_back(event);
  heap_[SiftUp(heap_.data(), heap_.size() - 1, event, EventBefore)] = event;
}

bool InlineQuaternaryHeap::PopBefore(SimTime bound, Event* out) {
  if (heap_.empty() || !(heap_[0].time < bound)) return false;
  *out = heap_[0];
  const Event last = heap_.back();
  heap_.pop_back();
  const size_t n = heap_.size();
  if (n == 0) return true;
  // Floyd's bottom-up deletion: walk the hole down to a leaf along the
  // smaller child (3 comparisons a level instead of 4), then sift the last
  // element up from there; it rarely climbs far, since it came from the
  // bottom of the heap.
  size_t hole = 0;
  for (;;) {
    const size_t first = 4 * hole + 1;
    if (first >= n) break;
    const size_t end = std::min(first + 4, n);
    size_t best = first;
    for (size_t k = first + 1; k < end; ++k) {
      if (EventBefore(heap_[k], heap_[best])) best = k;
    }
    heap_[hole] = heap_[best];
    hole = best;
  }
  heap_[SiftUp(heap_.data(), hole, last, EventBefore)] = last;
  return true;
}

// ---- RadixHeap ---------------------------------------------------------------

namespace {
// std::push_heap keeps the largest first: "after" makes it the least order.
bool OrderAfter(uint64_t a, uint64_t b) { return a > b; }
}  // namespace

void RadixHeap::Place(const Item& item) {
  const int b = BucketOf(item.time);
  std::vector<Item>& bucket = buckets_[b];
  bucket.push_back(item);
  if (b == 0) {
    std::push_heap(bucket.begin(), bucket.end(), [](const Item& x, const Item& y) { return OrderAfter(x.order, y.order); });
  } else if (min_bucket_ >= 0 && (b < min_bucket_ || (b == min_bucket_ && item.time < min_time_))) {
    // A lower bucket holds only earlier times than a higher one.
    min_bucket_ = b;
    min_time_ = item.time;
  }
}

void RadixHeap::Rebase(int64_t time) {
  std::vector<Item> all;
  all.reserve(size_);
  for (auto& bucket : buckets_) {
    all.insert(all.end(), bucket.begin(), bucket.end());
    bucket.clear();
  }
  last_ = time;
  min_bucket_ = -1;
  for (const Item& item : all) Place(item);
}

void RadixHeap::Push(const Event& event) {
  const uint32_t slot = slab_.Put(event);
  const int64_t time = event.time.ps();
  if (time < last_) [[unlikely]] Rebase(time);
  Place(Item{time, event.order, slot});
  ++size_;
}

void RadixHeap::FindMinimum() const {
  if (min_bucket_ >= 0) return;
  for (int b = 1; b < kBuckets; ++b) {
    if (buckets_[b].empty()) continue;
    int64_t least = buckets_[b][0].time;
    for (const Item& item : buckets_[b]) least = std::min(least, item.time);
    min_bucket_ = b;
    min_time_ = least;
    return;
  }
}

SimTime RadixHeap::NextTime() const {
  if (size_ == 0) return SimTime::Infinite();
  if (!buckets_[0].empty()) return SimTime::Picoseconds(last_);
  FindMinimum();
  return SimTime::Picoseconds(min_time_);
}

bool RadixHeap::PopBefore(SimTime bound, Event* out) {
  if (size_ == 0) return false;
  std::vector<Item>& ties = buckets_[0];
  if (ties.empty()) {
    FindMinimum();
    // The floor moves only on a pop: an event below the bound is about to
    // run, so nothing later can arrive before it.
    if (!(min_time_ < bound.ps())) return false;
    scratch_.swap(buckets_[min_bucket_]);
    last_ = min_time_;
    min_bucket_ = -1;
    for (const Item& item : scratch_) Place(item);
    scratch_.clear();
  } else if (!(last_ < bound.ps())) {
    return false;
  }
  std::pop_heap(ties.begin(), ties.end(), [](const Item& x, const Item& y) { return OrderAfter(x.order, y.order); });
  const uint32_t slot = ties.back().slot;
  ties.pop_back();
  *out = slab_.Take(slot);
  --size_;
  return true;
}

size_t RadixHeap::MemoryBytes() const {
  size_t bytes = scratch_.capacity() * sizeof(Item) + slab_.MemoryBytes();
  for (const auto& bucket : buckets_) bytes += bucket.capacity() * sizeof(Item);
  return bytes;
}

// ---- CalendarQueue ---------------------------------------------------------

CalendarQueue::CalendarQueue() : buckets_(2) { bucket_top_ = width_; }

size_t CalendarQueue::MemoryBytes() const {
  size_t bytes = buckets_.capacity() * sizeof(std::vector<Event>);
  for (const auto& b : buckets_) bytes += b.capacity() * sizeof(Event);
  return bytes;
}

void CalendarQueue::InsertSorted(std::vector<Event>& bucket, const Event& e) {
  // Descending order, minimum at the back: scan from the back past the
  // events that come before e.
  size_t i = bucket.size();
  while (i > 0 && EventBefore(bucket[i - 1], e)) --i;
  bucket.insert(bucket.begin() + static_cast<std::ptrdiff_t>(i), e);
}

void CalendarQueue::Push(const Event& event) {
  InsertSorted(buckets_[BucketOf(event.time)], event);
  ++size_;
  // An event earlier than the cursor's day moves the cursor back to it.
  if (event.time.ps() < bucket_top_ - width_) {
    current_ = BucketOf(event.time);
    bucket_top_ = (event.time.ps() / width_ + 1) * width_;
  }
  if (size_ > 2 * buckets_.size()) Resize(2 * buckets_.size());
}

void CalendarQueue::LocateMinimum() {
  const size_t n = buckets_.size();
  for (size_t i = 0; i < n; ++i) {
    const size_t b = (current_ + i) & (n - 1);
    const int64_t top = bucket_top_ + static_cast<int64_t>(i) * width_;
    if (!buckets_[b].empty() && buckets_[b].back().time.ps() < top) {
      current_ = b;
      bucket_top_ = top;
      return;
    }
  }
  // A whole year without an event in its day: jump straight to the minimum.
  const Event* best = nullptr;
  for (const auto& bucket : buckets_) {
    if (!bucket.empty() && (best == nullptr || EventBefore(bucket.back(), *best))) best = &bucket.back();
  }
  current_ = BucketOf(best->time);
  bucket_top_ = (best->time.ps() / width_ + 1) * width_;
}

SimTime CalendarQueue::NextTime() const {
  if (size_ == 0) return SimTime::Infinite();
  const_cast<CalendarQueue*>(this)->LocateMinimum();  // moves the cursor only
  return buckets_[current_].back().time;
}

bool CalendarQueue::PopBefore(SimTime bound, Event* out) {
  if (size_ == 0) return false;
  LocateMinimum();
  std::vector<Event>& bucket = buckets_[current_];
  if (!(bucket.back().time < bound)) return false;
  *out = bucket.back();
  bucket.pop_back();
  --size_;
  if (buckets_.size() > 2 && size_ < buckets_.size() / 2) Resize(buckets_.size() / 2);
  return true;
}

int64_t CalendarQueue::EstimateWidth() const {
  // Brown's rule: three times the mean gap between the earliest events,
  // ignoring gaps far above the mean (outliers from distant events).
  std::vector<int64_t> times;
  times.reserve(size_);
  for (const auto& bucket : buckets_) {
    for (const Event& e : bucket) times.push_back(e.time.ps());
  }
  const size_t k = std::min<size_t>(times.size(), 25);
  if (k < 2) return width_;
  std::partial_sort(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(k), times.end());
  const double mean = static_cast<double>(times[k - 1] - times[0]) / static_cast<double>(k - 1);
  double sum = 0;
  int count = 0;
  for (size_t i = 1; i < k; ++i) {
    const auto gap = static_cast<double>(times[i] - times[i - 1]);
    if (gap <= 2 * mean) {
      sum += gap;
      ++count;
    }
  }
  const double width = count > 0 ? 3 * sum / count : 3 * mean;
  return std::max<int64_t>(1, static_cast<int64_t>(width));
}

void CalendarQueue::Resize(size_t bucket_count) {
  const int64_t width = EstimateWidth();
  std::vector<std::vector<Event>> old(bucket_count);
  old.swap(buckets_);
  width_ = width;
  for (auto& bucket : old) {
    for (const Event& e : bucket) InsertSorted(buckets_[BucketOf(e.time)], e);
  }
  if (size_ > 0) {
    current_ = 0;
    bucket_top_ = width_;
    const Event* best = nullptr;
    for (const auto& bucket : buckets_) {
      if (!bucket.empty() && (best == nullptr || EventBefore(bucket.back(), *best))) best = &bucket.back();
    }
    current_ = BucketOf(best->time);
    bucket_top_ = (best->time.ps() / width_ + 1) * width_;
  }
}

}  // namespace strata::sim
