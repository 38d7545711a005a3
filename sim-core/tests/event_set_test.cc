#include "strata/sim/event_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "strata/sim/random.h"

namespace strata::sim {
namespace {

Event MakeEvent(int64_t time_ps, uint64_t order) {
  Event e{};
  e.time = SimTime::Picoseconds(time_ps);
  e.order = order;
  return e;
}

class EventSetTest : public ::testing::TestWithParam<EventSetKind> {};

TEST_P(EventSetTest, PopsInTimeThenOrder) {
  auto set = MakeEventSet(GetParam());
  set->Push(MakeEvent(30, 1));
  set->Push(MakeEvent(10, 9));
  set->Push(MakeEvent(10, 2));
  set->Push(MakeEvent(20, 0));
  std::vector<std::pair<int64_t, uint64_t>> got;
  Event e;
  while (set->PopBefore(SimTime::Infinite(), &e)) got.emplace_back(e.time.ps(), e.order);
  EXPECT_EQ(got, (std::vector<std::pair<int64_t, uint64_t>>{{10, 2}, {10, 9}, {20, 0}, {30, 1}}));
  EXPECT_EQ(set->size(), 0u);
  EXPECT_TRUE(set->NextTime().IsInfinite());
}

TEST_P(EventSetTest, PopBeforeLeavesEventsAtOrAfterTheBound) {
  auto set = MakeEventSet(GetParam());
  set->Push(MakeEvent(5, 0));
  set->Push(MakeEvent(10, 1));
  Event e;
  EXPECT_TRUE(set->PopBefore(SimTime::Picoseconds(10), &e));
  EXPECT_FALSE(set->PopBefore(SimTime::Picoseconds(10), &e));  // 10 is not < 10
  EXPECT_EQ(set->NextTime(), SimTime::Picoseconds(10));
  EXPECT_EQ(set->size(), 1u);
}

// Random interleaved pushes and pops (a hold model with bursts and pushes
// earlier than the last popped time) against std::set as the reference.
TEST_P(EventSetTest, MatchesAReferenceOrderUnderRandomLoad) {
  auto set = MakeEventSet(GetParam());
  std::set<std::tuple<int64_t, uint64_t>> reference;
  RandomStream rng(11, 0);
  uint64_t order = 0;
  int64_t now = 0;
  for (int step = 0; step < 200'000; ++step) {
    const uint64_t action = rng.UniformInt(10);
    if (action < 5 || reference.empty()) {
      // Mostly in the future, sometimes far, sometimes a burst at the same time.
      int64_t t = now + static_cast<int64_t>(rng.Exponential(1000));
      if (action == 0) t = now + static_cast<int64_t>(rng.UniformInt(10'000'000));
      if (action == 1) t = now;
      const Event e = MakeEvent(t, order++);
      set->Push(e);
      reference.emplace(t, e.order);
    } else {
      Event e;
      ASSERT_TRUE(set->PopBefore(SimTime::Infinite(), &e));
      ASSERT_EQ(std::make_tuple(e.time.ps(), e.order), *reference.begin()) << "step " << step;
      reference.erase(reference.begin());
      now = e.time.ps();
    }
    ASSERT_EQ(set->size(), reference.size());
  }
}

TEST_P(EventSetTest, AcceptsEventsEarlierThanItsCursor) {
  // After NextTime() looked far ahead, an earlier event must still come first.
  auto set = MakeEventSet(GetParam());
  for (int i = 0; i < 100; ++i) set->Push(MakeEvent(1'000'000'000 + i, i));
  EXPECT_EQ(set->NextTime().ps(), 1'000'000'000);
  set->Push(MakeEvent(7, 1000));
  Event e;
  ASSERT_TRUE(set->PopBefore(SimTime::Infinite(), &e));
  EXPECT_EQ(e.time.ps(), 7);
}

TEST_P(EventSetTest, AnEventEarlierThanTheLastPoppedStillComesFirst) {
  // The kernel never does this (causality), but a set must stay correct:
  // the radix heap rebuilds its buckets around the earlier time.
  auto set = MakeEventSet(GetParam());
  for (int i = 0; i < 50; ++i) set->Push(MakeEvent(1'000 + 10 * i, i));
  Event e;
  ASSERT_TRUE(set->PopBefore(SimTime::Infinite(), &e));
  EXPECT_EQ(e.time.ps(), 1'000);
  set->Push(MakeEvent(500, 100));
  set->Push(MakeEvent(500, 99));
  std::vector<std::pair<int64_t, uint64_t>> got;
  while (set->PopBefore(SimTime::Infinite(), &e)) got.emplace_back(e.time.ps(), e.order);
  ASSERT_EQ(got.size(), 51u);
  EXPECT_EQ(got[0], (std::pair<int64_t, uint64_t>{500, 99}));
  EXPECT_EQ(got[1], (std::pair<int64_t, uint64_t>{500, 100}));
  EXPECT_EQ(got[2], (std::pair<int64_t, uint64_t>{1'010, 1}));
  EXPECT_TRUE(std::is_sorted(got.begin() + 2, got.end()));
}

INSTANTIATE_TEST_SUITE_P(AllDesigns, EventSetTest,
                         ::testing::Values(EventSetKind::kQuaternaryHeap, EventSetKind::kInlineQuaternaryHeap,
                                           EventSetKind::kCalendarQueue, EventSetKind::kRadixHeap),
                         [](const auto& info) {
                           std::string name(EventSetKindName(info.param));
                           return name == "heap4-inline" ? std::string("heap4_inline") : name;
                         });

TEST(EventSetKindTest, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(*ParseEventSetKind("heap4"), EventSetKind::kQuaternaryHeap);
  EXPECT_EQ(*ParseEventSetKind("calendar"), EventSetKind::kCalendarQueue);
  EXPECT_EQ(*ParseEventSetKind("radix"), EventSetKind::kRadixHeap);
  auto bad = ParseEventSetKind("splay");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("allowed: heap4, heap4-inline, calendar"), std::string::npos);
}

}  // namespace
}  // namespace strata::sim
