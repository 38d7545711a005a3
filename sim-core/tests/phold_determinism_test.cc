// The determinism contract on PHOLD: the same job and seed give the same
// digest on 1, 2, 4 and 8 partitions, with both sync algorithms and both
// event sets; different seeds give different digests.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <thread>

#include "strata/sim/transport.h"

#include "phold/phold.h"
#include "strata/sim/engine.h"

namespace strata::sim {
namespace {

using phold::PholdConfig;

absl::StatusOr<RunResult> RunPhold(const PholdConfig& config, int partitions, SyncAlgorithm sync, uint64_t seed,
                                   SimTime end, EventSetKind set = EventSetKind::kQuaternaryHeap) {
  Simulation sim;
  if (absl::Status s = BuildPhold(config, &sim); !s.ok()) return s;
  RunOptions o;
  o.partitions = partitions;
  o.sync = sync;
  o.seed = seed;
  o.end_time = end;
  o.event_set = set;
  return sim::Run(sim, o);
}

PholdConfig SmallPhold(double remote) {
  PholdConfig c;
  c.lps = 64;
  c.events_per_lp = 4;
  c.remote_fraction = remote;
  c.lookahead = SimTime::Nanoseconds(100);
  c.mean_delay = SimTime::Nanoseconds(900);
  return c;
}

TEST(PholdDeterminismTest, DigestIsIdenticalAcrossPartitionsSyncAlgorithmsAndSeeds) {
  const SimTime end = SimTime::Microseconds(200);
  for (double remote : {0.1, 0.9}) {
    std::map<uint64_t, uint64_t> digest_of_seed;
    for (uint64_t seed : {1, 2, 3}) {
      auto reference = RunPhold(SmallPhold(remote), 1, SyncAlgorithm::kWindow, seed, end);
      ASSERT_TRUE(reference.ok()) << reference.status();
      ASSERT_GT(reference->committed_events, 10'000u);
      digest_of_seed[seed] = reference->digest;
      for (int partitions : {1, 2, 4, 8}) {
        for (SyncAlgorithm sync : {SyncAlgorithm::kWindow, SyncAlgorithm::kNullMessage}) {
          auto r = RunPhold(SmallPhold(remote), partitions, sync, seed, end);
          ASSERT_TRUE(r.ok()) << r.status();
          EXPECT_EQ(r->digest_hex(), reference->digest_hex())
              << "remote=" << remote << " seed=" << seed << " partitions=" << partitions
              << " sync=" << SyncAlgorithmName(sync);
          EXPECT_EQ(r->committed_events, reference->committed_events);
          EXPECT_EQ(r->final_time, reference->final_time);
        }
      }
    }
    // The digest must be able to tell runs apart.
    EXPECT_NE(digest_of_seed[1], digest_of_seed[2]);
    EXPECT_NE(digest_of_seed[2], digest_of_seed[3]);
  }
}

TEST(PholdDeterminismTest, EventSetDesignDoesNotChangeTheResult) {
  const SimTime end = SimTime::Microseconds(200);
  auto heap = RunPhold(SmallPhold(0.5), 2, SyncAlgorithm::kNullMessage, 7, end, EventSetKind::kQuaternaryHeap);
  auto calendar = RunPhold(SmallPhold(0.5), 2, SyncAlgorithm::kWindow, 7, end, EventSetKind::kCalendarQueue);
  ASSERT_TRUE(heap.ok() && calendar.ok());
  EXPECT_EQ(heap->digest, calendar->digest);
}

TEST(PholdDeterminismTest, GroupedPartitioningGivesTheSameDigest) {
  PholdConfig grouped = SmallPhold(0.3);
  grouped.lps_per_group = 16;
  const SimTime end = SimTime::Microseconds(100);
  auto one = RunPhold(grouped, 1, SyncAlgorithm::kWindow, 5, end);
  auto four = RunPhold(grouped, 4, SyncAlgorithm::kNullMessage, 5, end);
  ASSERT_TRUE(one.ok() && four.ok());
  EXPECT_EQ(one->digest, four->digest);
}

// Lookahead 1 ns against a mean delay of 10 us: CMB must creep forward with
// many null messages, and still finish with the sequential answer.
TEST(PholdDeterminismTest, NullMessagesMakeProgressWithSmallLookahead) {
  PholdConfig c;
  c.lps = 16;
  c.events_per_lp = 2;
  c.remote_fraction = 0.5;
  c.lookahead = SimTime::Nanoseconds(1);
  c.mean_delay = SimTime::Microseconds(10);
  const SimTime end = SimTime::Microseconds(100);
  auto reference = RunPhold(c, 1, SyncAlgorithm::kWindow, 9, end);
  ASSERT_TRUE(reference.ok());
  for (int partitions : {2, 4}) {
    auto r = RunPhold(c, partitions, SyncAlgorithm::kNullMessage, 9, end);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->digest, reference->digest) << partitions;
    uint64_t nulls = 0;
    for (const auto& p : r->partitions) nulls += p.null_messages_sent;
    EXPECT_GT(nulls, r->committed_events) << "lookahead 1 ns should need more nulls than events";
  }
}

// Sparse traffic: one event per LP, every hop remote, the delay almost all
// lookahead. Most of the time a partition's only pending event is the one
// another partition just sent it, still in flight when the window's bound
// is computed: a window barrier that reported only the partitions' queues
// would let a receiver run ahead of an event in flight to it (and then
// commit events in a different order than the one-partition run, or
// receive an event in its past). Window sync must give the sequential answer.
TEST(PholdDeterminismTest, WindowBoundsCountTheEventsInFlightUnderSparseRemoteTraffic) {
  PholdConfig c;
  c.lps = 8;
  c.events_per_lp = 1;
  c.remote_fraction = 1.0;
  c.lookahead = SimTime::Nanoseconds(100);
  c.mean_delay = SimTime::Nanoseconds(5);
  const SimTime end = SimTime::Microseconds(50);
  for (uint64_t seed : {1, 2}) {
    auto reference = RunPhold(c, 1, SyncAlgorithm::kWindow, seed, end);
    ASSERT_TRUE(reference.ok()) << reference.status();
    ASSERT_GT(reference->committed_events, 3'000u);  // ~8 events per 100 ns for 50 us
    for (int partitions : {2, 4, 8}) {
      auto r = RunPhold(c, partitions, SyncAlgorithm::kWindow, seed, end);
      ASSERT_TRUE(r.ok()) << partitions << " partitions: " << r.status();
      EXPECT_EQ(r->digest_hex(), reference->digest_hex()) << partitions << " partitions, seed " << seed;
      EXPECT_EQ(r->committed_events, reference->committed_events) << partitions << " partitions, seed " << seed;
    }
  }
}

// With no end time the run ends when no event is left anywhere: every
// engine must detect that (window: global minimum is infinite; null
// messages: quiescence through the transport).
TEST(PholdDeterminismTest, RunsWithoutEndTimeStopWhenNoEventsRemain) {
  PholdConfig c = SmallPhold(0.5);
  c.events_per_lp = 0;  // nothing ever happens
  for (SyncAlgorithm sync : {SyncAlgorithm::kWindow, SyncAlgorithm::kNullMessage}) {
    auto r = RunPhold(c, 4, sync, 1, SimTime::Infinite());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->committed_events, 0u);
  }
}

}  // namespace
}  // namespace strata::sim

namespace strata::sim {
namespace {

using phold::PholdConfig;

// What the distributed service does: every process builds its own copy of
// the graph from the same job, runs only its partitions against a shared
// transport, and the digests are combined at the end. Here two "processes"
// are two threads with two separate Simulations.
TEST(PartitionRunnerTest, AJobSplitOverTwoGraphCopiesHasTheOneProcessDigest) {
  PholdConfig c;
  c.lps = 64;
  c.events_per_lp = 4;
  c.remote_fraction = 0.3;
  c.lookahead = SimTime::Nanoseconds(100);
  c.mean_delay = SimTime::Nanoseconds(900);
  const SimTime end = SimTime::Microseconds(100);
  for (SyncAlgorithm sync : {SyncAlgorithm::kWindow, SyncAlgorithm::kNullMessage}) {
    Simulation reference_sim;
    ASSERT_TRUE(BuildPhold(c, &reference_sim).ok());
    RunOptions o;
    o.end_time = end;
    o.sync = sync;
    o.seed = 3;
    auto reference = sim::Run(reference_sim, o);
    ASSERT_TRUE(reference.ok());

    Simulation host_a, host_b;
    ASSERT_TRUE(BuildPhold(c, &host_a).ok());
    ASSERT_TRUE(BuildPhold(c, &host_b).ok());
    o.partitions = 4;
    auto plan = ResolvePlan(host_a, o);
    ASSERT_TRUE(plan.ok());
    auto a = PartitionRunner::Create(host_a, o, *plan, {0, 1});
    auto b = PartitionRunner::Create(host_b, o, *plan, {2, 3});
    ASSERT_TRUE(a.ok() && b.ok());
    InProcessTransport transport(4);
    absl::Status status_b;
    std::thread thread_b([&] { status_b = (*b)->Run(transport); });
    ASSERT_TRUE((*a)->Run(transport).ok());
    thread_b.join();
    ASSERT_TRUE(status_b.ok()) << status_b;
    const SimTime final_time = std::max((*a)->local_final_time(), (*b)->local_final_time());
    auto digests = (*a)->FinishAndDigest(final_time);
    for (const auto& d : (*b)->FinishAndDigest(final_time)) digests.push_back(d);
    std::sort(digests.begin(), digests.end());
    ASSERT_EQ(digests.size(), 64u);
    std::vector<uint64_t> ordered;
    for (const auto& [id, digest] : digests) ordered.push_back(digest);
    const uint64_t combined =
        CombineDigest(ordered, final_time, (*a)->local_committed_events() + (*b)->local_committed_events());
    EXPECT_EQ(DigestToHex(combined), reference->digest_hex()) << SyncAlgorithmName(sync);
  }
}

}  // namespace
}  // namespace strata::sim
