#include "strata/sim/partitioner.h"

#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include "absl/strings/str_cat.h"

#include "strata/sim/engine.h"
#include "tests/test_components.h"

namespace strata::sim {
namespace {

using ::testing::HasSubstr;
using testing::Echo;

TEST(PartitionerTest, GroupsStayTogetherAndLoadBalances) {
  Simulation sim;
  // Two channels of 4 dies each plus two ungrouped components.
  for (int ch = 0; ch < 2; ++ch) {
    for (int d = 0; d < 4; ++d) sim.Add(std::make_unique<Echo>("d"), "ch" + std::to_string(ch));
  }
  sim.Add(std::make_unique<Echo>("x"));
  sim.Add(std::make_unique<Echo>("y"));
  auto plan = PartitionByGroup(sim, 2);
  ASSERT_TRUE(plan.ok());
  for (int d = 1; d < 4; ++d) {
    EXPECT_EQ(plan->partition_of[d], plan->partition_of[0]);
    EXPECT_EQ(plan->partition_of[4 + d], plan->partition_of[4]);
  }
  EXPECT_NE(plan->partition_of[0], plan->partition_of[4]);  // LPT puts the two groups apart
  std::vector<int> load(2, 0);
  for (PartitionId p : plan->partition_of) ++load[p];
  EXPECT_EQ(load[0], 5);
  EXPECT_EQ(load[1], 5);
}

// Weights from a pilot run replace the components' own: one busy
// component gets a partition to itself, where equal weights split 2 + 2.
TEST(PartitionerTest, WeightsDecideTheBalance) {
  Simulation sim;
  for (int i = 0; i < 4; ++i) sim.Add(std::make_unique<Echo>(absl::StrCat("c", i)));
  auto equal = PartitionByGroup(sim, 2);
  ASSERT_TRUE(equal.ok());
  std::vector<int> load(2, 0);
  for (PartitionId p : equal->partition_of) ++load[p];
  EXPECT_EQ(load[0], 2);
  EXPECT_EQ(load[1], 2);

  auto weighted = PartitionByGroup(sim, 2, {1, 1, 30, 1});
  ASSERT_TRUE(weighted.ok());
  for (ComponentId id : {0, 1, 3}) {
    EXPECT_NE(weighted->partition_of[id], weighted->partition_of[2]) << id;
  }
  auto wrong_size = PartitionByGroup(sim, 2, {1, 2});
  EXPECT_THAT(wrong_size.status().message(), HasSubstr("weights has 2 entries; the graph has 4 components"));
}

// A group is one unit, an ungrouped component another.
TEST(PartitionerTest, UnitsCountGroupsOnceAndUngroupedComponentsEach) {
  Simulation sim;
  for (int d = 0; d < 3; ++d) sim.Add(std::make_unique<Echo>("d"), "ch0");
  for (int d = 0; d < 3; ++d) sim.Add(std::make_unique<Echo>("d"), "ch1");
  sim.Add(std::make_unique<Echo>("host"));
  EXPECT_EQ(PartitionUnits(sim), 3);
}

TEST(PartitionerTest, PartitionCountOutOfRangeIsRejected) {
  Simulation sim;
  sim.Add(std::make_unique<Echo>("a"));
  for (int bad : {0, -1, kMaxPartitions + 1}) {
    auto plan = PartitionByGroup(sim, bad);
    ASSERT_FALSE(plan.ok());
    EXPECT_THAT(plan.status().message(), HasSubstr("allowed: 1 to 256"));
  }
}

TEST(PartitionerTest, ZeroLatencyCrossPartitionLinkIsRejectedNamingBothEnds) {
  Simulation sim;
  const ComponentId a = sim.Add(std::make_unique<Echo>("controller", 1, 3));
  const ComponentId b = sim.Add(std::make_unique<Echo>("die7"));
  ASSERT_TRUE(sim.Connect(a, "out", b, "in", SimTime::Zero()).ok());
  ASSERT_TRUE(sim.Connect(a, "in", b, "out", SimTime::Nanoseconds(5)).ok());
  RunOptions options;
  options.partitions = 2;
  auto r = sim::Run(sim, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("link controller.out <-> die7.in crosses partitions"));
  EXPECT_THAT(r.status().message(), HasSubstr("zero latency"));
}

TEST(PartitionerTest, ZeroLatencyLinkInsideOnePartitionRuns) {
  Simulation sim;
  const ComponentId a = sim.Add(std::make_unique<Echo>("a", 1, 3), "g");
  const ComponentId b = sim.Add(std::make_unique<Echo>("b"), "g");
  ASSERT_TRUE(sim.Connect(a, "out", b, "in", SimTime::Zero()).ok());
  ASSERT_TRUE(sim.Connect(a, "in", b, "out", SimTime::Zero()).ok());
  RunOptions options;
  options.partitions = 2;
  auto r = sim::Run(sim, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->committed_events, 4u);  // 3, 2, 1, 0 ping-pong at time 0
  EXPECT_EQ(r->final_time, SimTime::Zero());
}

TEST(PartitionerTest, LookaheadTableHoldsTheSmallestLatencyPerDirection) {
  Simulation sim;
  const ComponentId a = sim.Add(std::make_unique<Echo>("a"));
  const ComponentId b = sim.Add(std::make_unique<Echo>("b"));
  ASSERT_TRUE(sim.Connect(a, "out", b, "in", SimTime::Nanoseconds(7)).ok());
  ASSERT_TRUE(sim.Connect(a, "in", b, "out", SimTime::Nanoseconds(3)).ok());
  PartitionPlan plan{2, {0, 1}};
  LookaheadTable table(sim, plan);
  EXPECT_EQ(table.Get(0, 1), SimTime::Nanoseconds(3));
  EXPECT_EQ(table.Get(1, 0), SimTime::Nanoseconds(3));
  EXPECT_TRUE(table.Get(0, 0).IsInfinite());
  EXPECT_EQ(table.Distance(0, 1), SimTime::Nanoseconds(3));  // the direct link is the shortest path
}

// A chain p0 -3ns- p1 -5ns- p2 and a partition p3 joined to nothing: the
// distance is the shortest path, through partitions in between.
TEST(PartitionerTest, LookaheadDistanceIsTheShortestPathThroughOtherPartitions) {
  Simulation sim;
  const ComponentId a = sim.Add(std::make_unique<Echo>("a"));
  const ComponentId b = sim.Add(std::make_unique<Echo>("b"));
  const ComponentId c = sim.Add(std::make_unique<Echo>("c"));
  const ComponentId d = sim.Add(std::make_unique<Echo>("d"));
  ASSERT_TRUE(sim.Connect(a, "out", b, "in", SimTime::Nanoseconds(3)).ok());
  ASSERT_TRUE(sim.Connect(b, "out", c, "in", SimTime::Nanoseconds(5)).ok());
  ASSERT_TRUE(sim.Connect(c, "out", a, "in", SimTime::Nanoseconds(20)).ok());
  ASSERT_TRUE(sim.Connect(d, "out", d, "in", SimTime::Nanoseconds(1)).ok());
  PartitionPlan plan{4, {0, 1, 2, 3}};
  LookaheadTable table(sim, plan);
  EXPECT_EQ(table.Get(0, 2), SimTime::Nanoseconds(20));
  EXPECT_EQ(table.Distance(0, 2), SimTime::Nanoseconds(8));  // via p1, not the 20 ns link
  EXPECT_EQ(table.Distance(2, 0), SimTime::Nanoseconds(8));
  EXPECT_EQ(table.Distance(1, 1), SimTime::Zero());
  EXPECT_TRUE(table.Distance(0, 3).IsInfinite());
  EXPECT_TRUE(table.Distance(3, 1).IsInfinite());
}

}  // namespace
}  // namespace strata::sim
