// Pending-event sets: the priority queue at the heart of each partition.
//
// Three designs, measured on PHOLD and by bench/event_set_bench (figures in
// docs/performance.md):
//  - QuaternaryHeap (default): an implicit 4-ary min-heap of 16-byte keys
//    (time, slot) whose four children share one 64-byte cache line, over a
//    slab holding the events. Equal times are broken by the slab's order
//    field. At 16 K pending events the keys take 256 KiB and stay in L2.
//    Deletion is Floyd's bottom-up: the hole goes down to a leaf along the
//    smaller child, then the last key sifts up from there.
//  - InlineQuaternaryHeap: the same heap over whole 64-byte events; simpler,
//    but every level moves a cache line and 16 K events fill a 1 MiB L2.
//  - CalendarQueue: Brown's calendar queue (CACM 31(10), 1988): an array of
//    day buckets, each a sorted vector, with the bucket width re-estimated
//    from the queue's contents on every resize. O(1) expected per operation.
// Both order events by EventBefore (time, then source/sequence), so the
// choice never changes results, only speed.
#ifndef STRATA_SIM_EVENT_SET_H_
#define STRATA_SIM_EVENT_SET_H_

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "strata/sim/event.h"

namespace strata::sim {

enum class EventSetKind { kQuaternaryHeap, kInlineQuaternaryHeap, kCalendarQueue, kRadixHeap };

// "heap4" | "heap4-inline" | "calendar"
absl::StatusOr<EventSetKind> ParseEventSetKind(std::string_view name);
std::string_view EventSetKindName(EventSetKind kind);

class PendingEventSet {
 public:
  virtual ~PendingEventSet() = default;
  virtual void Push(const Event& event) = 0;
  // Removes the earliest event into *out if its time is < bound.
  virtual bool PopBefore(SimTime bound, Event* out) = 0;
  // Time of the earliest event, or SimTime::Infinite() when empty.
  virtual SimTime NextTime() const = 0;
  virtual size_t size() const = 0;
  // Visits every pending event, in no particular order (lookahead from the
  // models reads where pending events will arrive).
  virtual void ForEach(absl::FunctionRef<void(const Event&)> visit) const = 0;
  // Heap memory held by the set, in bytes (capacity, not just size).
  virtual size_t MemoryBytes() const = 0;
};

// Events by slot for the key-based sets: they move small keys and leave
// each 64-byte event in place; a freed slot is reused by the next push.
class EventSlab {
 public:
  uint32_t Put(const Event& event) {
    if (free_.empty()) {
      events_.push_back(event);
      return static_cast<uint32_t>(events_.size() - 1);
    }
    const uint32_t slot = free_.back();
    free_.pop_back();
    events_[slot] = event;
    return slot;
  }
  // The event in `slot`, whose slot is then free.
  Event Take(uint32_t slot) {
    free_.push_back(slot);
    return events_[slot];
  }
  const Event& operator[](uint32_t slot) const { return events_[slot]; }
  size_t MemoryBytes() const { return events_.capacity() * sizeof(Event) + free_.capacity() * sizeof(uint32_t); }

 private:
  std::vector<Event> events_;
  std::vector<uint32_t> free_;
};

class QuaternaryHeap final : public PendingEventSet {
 public:
  QuaternaryHeap() = default;
  QuaternaryHeap(const QuaternaryHeap&) = delete;
  QuaternaryHeap& operator=(const QuaternaryHeap&) = delete;
  ~QuaternaryHeap() override;
  void Push(const Event& event) override;
  bool PopBefore(SimTime bound, Event* out) override;
  SimTime NextTime() const override {
    return size_ == 0 ? SimTime::Infinite() : SimTime::Picoseconds(keys_[kOffset].time);
  }
  size_t size() const override { return size_; }
  void ForEach(absl::FunctionRef<void(const Event&)> visit) const override {
    for (size_t i = 0; i < size_; ++i) visit(slab_[slots_[i + kOffset]]);
  }
  size_t MemoryBytes() const override {
    return capacity_ * (sizeof(Key) + sizeof(uint32_t)) + slab_.MemoryBytes();
  }

 private:
  // The whole sort key, order included: equal times are common in the
  // LLM models (a controller starts many dies' reads at one instant), and
  // breaking those ties by reading each event's order from the slab, as
  // the key once did, took ~45% of PopBefore in a 70B PAGE run (perf):
  // two random slab lines per tied comparison.
  struct Key {
    int64_t time;
    uint64_t order;
  };
  static_assert(sizeof(Key) == 16);
  // Node i lives at keys_[i + kOffset]: its children 4i+1..4i+4 then sit at
  // 4i+4..4i+7, one aligned 64-byte line. slots_[i + kOffset] is node i's
  // place in the slab, moved with its key.
  static constexpr size_t kOffset = 3;
  static bool KeyBefore(const Key& a, const Key& b) {
    return a.time < b.time || (a.time == b.time && a.order < b.order);
  }
  // Moves (key, slot) up from `hole` while it comes before its parent and
  // stores it where it belongs.
  void SiftUpFrom(size_t hole, const Key& key, uint32_t slot);
  void Grow();

  Key* keys_ = nullptr;        // 64-byte aligned, capacity_ entries
  uint32_t* slots_ = nullptr;  // 64-byte aligned, capacity_ entries
  size_t capacity_ = 0;
  size_t size_ = 0;
  EventSlab slab_;
};

class InlineQuaternaryHeap final : public PendingEventSet {
 public:
  void Push(const Event& event) override;
  bool PopBefore(SimTime bound, Event* out) override;
  SimTime NextTime() const override { return heap_.empty() ? SimTime::Infinite() : heap_[0].time; }
  size_t size() const override { return heap_.size(); }
  void ForEach(absl::FunctionRef<void(const Event&)> visit) const override {
    for (const Event& e : heap_) visit(e);
  }
  size_t MemoryBytes() const override { return heap_.capacity() * sizeof(Event); }

 private:
  std::vector<Event> heap_;
};

// A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, "Faster algorithms for
// the shortest path problem", JACM 1990) on the picosecond time: bucket k
// holds the events whose time first differs from the last popped time in
// bit k-1, bucket 0 those at exactly that time, ordered by `order` in a
// small binary heap. Pushes append to a vector; a pop from an empty bucket
// 0 takes the first non-empty bucket's least time as the new floor and
// moves that bucket's events down, each to a strictly lower bucket, so an
// event moves at most 64 times and usually a few: no pointer chasing and no
// cache miss per heap level, which is what the 4-ary heap pays on the large
// pending sets of the LLM jobs. It relies on what the kernel guarantees:
// nothing is pushed earlier than the last event popped (a pop below a
// window's bound means every later arrival is at or after it); a push that
// breaks this is still placed correctly, by rebuilding the buckets.
class RadixHeap final : public PendingEventSet {
 public:
  void Push(const Event& event) override;
  bool PopBefore(SimTime bound, Event* out) override;
  SimTime NextTime() const override;
  size_t size() const override { return size_; }
  void ForEach(absl::FunctionRef<void(const Event&)> visit) const override {
    for (const auto& bucket : buckets_) {
      for (const Item& item : bucket) visit(slab_[item.slot]);
    }
  }
  size_t MemoryBytes() const override;

 private:
  struct Item {
    int64_t time;
    uint64_t order;
    uint32_t slot;
  };
  static constexpr int kBuckets = 65;
  int BucketOf(int64_t time) const {
    return time == last_ ? 0 : 64 - __builtin_clzll(static_cast<uint64_t>(time ^ last_));
  }
  void Place(const Item& item);
  // Sets min_bucket_ and min_time_ (bucket 0 empty, size_ > 0).
  void FindMinimum() const;
  void Rebase(int64_t time);

  std::vector<Item> buckets_[kBuckets];
  std::vector<Item> scratch_;  // a bucket being moved down
  int64_t last_ = 0;           // the floor: every pending time is >= it
  size_t size_ = 0;
  // The first non-empty bucket above 0 and its least time; -1: not known.
  mutable int min_bucket_ = -1;
  mutable int64_t min_time_ = 0;
  EventSlab slab_;
};

class CalendarQueue final : public PendingEventSet {
 public:
  CalendarQueue();
  void Push(const Event& event) override;
  bool PopBefore(SimTime bound, Event* out) override;
  SimTime NextTime() const override;
  size_t size() const override { return size_; }
  void ForEach(absl::FunctionRef<void(const Event&)> visit) const override {
    for (const auto& bucket : buckets_) {
      for (const Event& e : bucket) visit(e);
    }
  }
  size_t MemoryBytes() const override;

 private:
  size_t BucketOf(SimTime t) const { return static_cast<size_t>((t.ps() / width_) & (buckets_.size() - 1)); }
  void InsertSorted(std::vector<Event>& bucket, const Event& e);
  // Finds the bucket holding the earliest event; sets current_ and year_top_.
  void LocateMinimum();
  void Resize(size_t bucket_count);
  int64_t EstimateWidth() const;

  std::vector<std::vector<Event>> buckets_;  // each sorted descending: min at back
  size_t size_ = 0;
  int64_t width_ = 1'000'000;  // ps per bucket, re-estimated on resize
  size_t current_ = 0;         // bucket where the next minimum is searched
  int64_t bucket_top_ = 0;     // end (exclusive) of current_'s day in this year
};

std::unique_ptr<PendingEventSet> MakeEventSet(EventSetKind kind);

}  // namespace strata::sim

#endif  // STRATA_SIM_EVENT_SET_H_
