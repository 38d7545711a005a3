// LinkCalendar: in ready-time order it is the busy-until FIFO; out of order
// a transfer fills the first gap long enough for it, and never overlaps.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include "nvme/link_calendar.h"

namespace strata::controller {
namespace {

using sim::SimTime;

SimTime Ns(int64_t ns) { return SimTime::Nanoseconds(ns); }

// Reservations made in ready-time order start exactly where a busy-until
// FIFO (start = max(ready, previous end)) starts them.
TEST(LinkCalendarTest, InReadyOrderItIsTheFifo) {
  std::mt19937_64 rng(7);
  LinkCalendar calendar;
  SimTime fifo_free;
  SimTime ready;
  for (int i = 0; i < 10000; ++i) {
    ready += Ns(static_cast<int64_t>(rng() % 100));
    const SimTime busy = Ns(1 + static_cast<int64_t>(rng() % 80));
    const SimTime fifo_start = std::max(ready, fifo_free);
    fifo_free = fifo_start + busy;
    ASSERT_EQ(calendar.Reserve(ready, ready, busy), fifo_start) << i;
  }
}

TEST(LinkCalendarTest, ALaterReservationFillsAGapOnlyIfItFitsWhole) {
  LinkCalendar calendar;
  EXPECT_EQ(calendar.Reserve(Ns(0), Ns(100), Ns(50)), Ns(100));  // [100, 150) reserved ahead
  EXPECT_EQ(calendar.Reserve(Ns(0), Ns(10), Ns(40)), Ns(10));    // [10, 50) fits before it
  EXPECT_EQ(calendar.Reserve(Ns(0), Ns(60), Ns(50)), Ns(150));   // [60, 110) would overlap: after it
  EXPECT_EQ(calendar.Reserve(Ns(0), Ns(50), Ns(50)), Ns(50));    // exactly the gap [50, 100)
  EXPECT_EQ(calendar.held(), 1u);                                // [10, 200) joined into one
  EXPECT_EQ(calendar.Reserve(Ns(0), Ns(0), Ns(10)), Ns(0));
  EXPECT_EQ(calendar.Reserve(Ns(0), Ns(0), Ns(1)), Ns(200));
}

// Random out-of-order reservations never overlap and never start before
// they are ready; stretches over by `now` are dropped.
TEST(LinkCalendarTest, OutOfOrderReservationsNeverOverlap) {
  std::mt19937_64 rng(11);
  LinkCalendar calendar;
  std::vector<std::pair<SimTime, SimTime>> taken;
  SimTime now;
  for (int i = 0; i < 5000; ++i) {
    now += Ns(static_cast<int64_t>(rng() % 20));
    const SimTime ready = now + Ns(static_cast<int64_t>(rng() % 500));
    const SimTime busy = Ns(1 + static_cast<int64_t>(rng() % 30));
    const SimTime start = calendar.Reserve(now, ready, busy);
    ASSERT_GE(start, ready);
    for (const auto& [s, e] : taken) {
      ASSERT_TRUE(start + busy <= s || start >= e) << i;
    }
    taken.emplace_back(start, start + busy);
  }
  EXPECT_LT(calendar.held(), taken.size());
}

}  // namespace
}  // namespace strata::controller
