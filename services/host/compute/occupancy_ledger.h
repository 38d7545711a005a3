// OccupancyLedger: what a serial unit (a roofline processor, an NVMe
// command queue) has spent its time on, by breakdown category, as a
// cumulative function of simulated time.
//
// Why: an op that waits in a serial unit's queue waits for the ops ahead of
// it. On the token's critical path that wait is their work, not idleness,
// so the executor books it under their categories: the ledger's growth
// between the op's arrival and its start. The categories still add up to
// the wait exactly (integer picoseconds), provided every moment of it is
// covered by a segment (work, or the unit stalled on something, e.g. a
// weight transfer).
#ifndef STRATA_HOST_COMPUTE_OCCUPANCY_LEDGER_H_
#define STRATA_HOST_COMPUTE_OCCUPANCY_LEDGER_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "strata/sim/time.h"
#include "workload/ops.h"

namespace strata::host {

class OccupancyLedger {
 public:
  using Totals = std::array<int64_t, kCategoryCount>;

  // The unit spends [start, end) on `category`. Segments may lie in the
  // future (an op's known run); `end` = sim::SimTime::Infinite() for one whose end
  // is not known yet (close it with Close).
  void Occupy(sim::SimTime start, sim::SimTime end, Category category) {
    if (end > start) open_.push_back({start, end, category});
  }
  // Ends the open-ended segments at `now`.
  void Close(sim::SimTime now) {
    for (Segment& s : open_) s.end = std::min(s.end, now);
  }
  // Cumulative time per category up to `now`; folds the segments that are
  // over into the running totals (so `now` must not go back).
  Totals At(sim::SimTime now) {
    Totals t = totals_;
    size_t kept = 0;
    for (const Segment& s : open_) {
      const sim::SimTime upto = std::min(now, s.end);
      if (upto > s.start) t[static_cast<int>(s.category)] += (upto - s.start).ps();
      if (s.end <= now) {
        totals_[static_cast<int>(s.category)] += (s.end - s.start).ps();
      } else {
        open_[kept++] = s;
      }
    }
    open_.resize(kept);
    return t;
  }

  // Books into `done` the categories the unit spent [arrival, start) on,
  // given the totals at the arrival; what no segment covered goes to
  // synchronisation. Returns the total booked (= start - arrival).
  sim::SimTime BookWait(const Totals& at_arrival, sim::SimTime arrival, sim::SimTime start, OpDone* done) {
    const Totals now = At(start);
    int64_t covered = 0;
    for (int c = 0; c < kCategoryCount; ++c) {
      const int64_t d = now[c] - at_arrival[c];
      covered += d;
      done->Add(static_cast<Category>(c), sim::SimTime::Picoseconds(d));
    }
    done->Add(Category::kSynchronization, sim::SimTime::Picoseconds((start - arrival).ps() - covered));
    return start - arrival;
  }

 private:
  struct Segment {
    sim::SimTime start, end;
    Category category;
  };
  Totals totals_{};
  std::vector<Segment> open_;
};

}  // namespace strata::host

#endif  // STRATA_HOST_COMPUTE_OCCUPANCY_LEDGER_H_
