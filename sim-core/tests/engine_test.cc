#include "strata/sim/engine.h"

#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <atomic>
#include <map>
#include <mutex>

#include "tests/test_components.h"

namespace strata::sim {
namespace {

using ::testing::HasSubstr;
using testing::Echo;

struct EngineCase {
  int partitions;
  SyncAlgorithm sync;
};
void PrintTo(const EngineCase& c, std::ostream* os) {
  *os << c.partitions << " partitions, " << SyncAlgorithmName(c.sync);
}
std::string CaseName(const ::testing::TestParamInfo<EngineCase>& info) {
  return std::to_string(info.param.partitions) + "p_" + std::string(SyncAlgorithmName(info.param.sync));
}

class EngineTest : public ::testing::TestWithParam<EngineCase> {
 protected:
  RunOptions Options() const {
    RunOptions o;
    o.partitions = GetParam().partitions;
    o.sync = GetParam().sync;
    return o;
  }
};

// a.out --7 ns--> b.in. a sends value 3 at t=0; each side answers v-1 on the
// port it heard on. Arrivals: b@7 (3), a@14 (2), b@21 (1), a@28 (0).
TEST_P(EngineTest, PingPongArrivesAtHandComputedTimes) {
  Simulation sim;
  auto* a = sim.Emplace<Echo>("", "a", 1, 3);
  auto* b = sim.Emplace<Echo>("", "b");
  ASSERT_TRUE(sim.Connect(a->id(), "out", b->id(), "in", SimTime::Nanoseconds(7)).ok());
  ASSERT_TRUE(sim.Connect(a->id(), "in", b->id(), "out", SimTime::Nanoseconds(100)).ok());
  auto r = sim::Run(sim, Options());
  ASSERT_TRUE(r.ok()) << r.status();
  using R = Echo::Record;
  EXPECT_EQ(b->log, (std::vector<R>{{SimTime::Nanoseconds(7), a->id(), 1, 3}, {SimTime::Nanoseconds(21), a->id(), 1, 1}}));
  EXPECT_EQ(a->log, (std::vector<R>{{SimTime::Nanoseconds(14), b->id(), 0, 2}, {SimTime::Nanoseconds(28), b->id(), 0, 0}}));
  EXPECT_EQ(r->committed_events, 4u);
  EXPECT_EQ(r->final_time, SimTime::Nanoseconds(28));
}

// Many senders hit one receiver at the same instant: the receiver must see
// them in (source id, sequence) order on every engine.
TEST_P(EngineTest, EqualTimeArrivalsAreOrderedBySourceThenSequence) {
  Simulation sim;
  auto* sink = sim.Emplace<Echo>("", "sink");
  std::vector<Echo*> sources;
  // Two sources each send one message at t = 0 over 10 ns links: both land
  // on the sink at t = 10 ns. With 2 partitions src1 shares the sink's
  // partition and its event is queued first, src0's arrives later in a
  // batch; the order must still be src0 (lower id) first.
  for (int i = 0; i < 2; ++i) sources.push_back(sim.Emplace<Echo>("", "src" + std::to_string(i), 1, 0));
  ASSERT_TRUE(sim.Connect(sources[1]->id(), "out", sink->id(), "out", SimTime::Nanoseconds(10)).ok());
  ASSERT_TRUE(sim.Connect(sources[0]->id(), "out", sink->id(), "in", SimTime::Nanoseconds(10)).ok());
  ASSERT_TRUE(sim.Connect(sources[0]->id(), "in", sources[1]->id(), "in", SimTime::Nanoseconds(1)).ok());
  auto r = sim::Run(sim, Options());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(sink->log.size(), 2u);
  EXPECT_EQ(sink->log[0].source, sources[0]->id());
  EXPECT_EQ(sink->log[1].source, sources[1]->id());
}

TEST_P(EngineTest, EventsAtOrAfterEndTimeAreNotExecuted) {
  Simulation sim;
  auto* a = sim.Emplace<Echo>("", "a", 1, 1000);
  auto* b = sim.Emplace<Echo>("", "b");
  ASSERT_TRUE(sim.Connect(a->id(), "out", b->id(), "in", SimTime::Nanoseconds(10)).ok());
  ASSERT_TRUE(sim.Connect(a->id(), "in", b->id(), "out", SimTime::Nanoseconds(10)).ok());
  RunOptions o = Options();
  o.end_time = SimTime::Nanoseconds(50);  // arrivals at 10..40 run; 50 does not
  auto r = sim::Run(sim, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->committed_events, 4u);
  EXPECT_EQ(r->final_time, SimTime::Nanoseconds(40));
}

// Schedules an event into the past on its 3rd event.
class TimeTraveller : public Component {
 public:
  TimeTraveller() : Component("traveller") { DeclarePort("p"); }
  void Init() override { ctx().Schedule(SimTime::Nanoseconds(5), 0); }
  void Handle(const Event&) override {
    if (++count_ == 3) {
      ctx().Schedule(SimTime::Nanoseconds(-2), 0);
    } else {
      ctx().Schedule(SimTime::Nanoseconds(5), 0);
    }
  }
  void AddToDigest(DigestBuilder&) const override {}
  int count_ = 0;
};

TEST_P(EngineTest, AnEventScheduledIntoThePastStopsTheRunNamingComponentPortAndTimes) {
  Simulation sim;
  auto* t = sim.Emplace<TimeTraveller>("");
  auto* sink = sim.Emplace<testing::Sink>("", "sink");
  ASSERT_TRUE(sim.Connect(t->id(), "p", sink->id(), "in", SimTime::Nanoseconds(1)).ok());
  auto r = sim::Run(sim, Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  // Third event at t = 15 ns schedules to 13 ns.
  EXPECT_THAT(r.status().message(), HasSubstr("component 'traveller' port 'traveller.<self>'"));
  EXPECT_THAT(r.status().message(), HasSubstr("at t=13 ns, before the current time t=15 ns"));
}

// Fails its run on the first event it sees.
class Failer : public Component {
 public:
  Failer() : Component("failer") { DeclarePort("p"); }
  void Init() override { ctx().Schedule(SimTime::Nanoseconds(3), 0); }
  void Handle(const Event&) override { ctx().Fail(absl::DataLossError("model found page 7 missing")); }
  void AddToDigest(DigestBuilder&) const override {}
};

TEST_P(EngineTest, AModelFailureStopsEveryPartitionAndReturnsItsStatus) {
  Simulation sim;
  auto* f = sim.Emplace<Failer>("");
  auto* sink = sim.Emplace<testing::Sink>("", "sink");
  ASSERT_TRUE(sim.Connect(f->id(), "p", sink->id(), "in", SimTime::Nanoseconds(1)).ok());
  // A busy neighbour that would run forever if the failure did not stop it.
  auto* a = sim.Emplace<Echo>("", "a", 1, 1'000'000'000);
  auto* b = sim.Emplace<Echo>("", "b");
  ASSERT_TRUE(sim.Connect(a->id(), "out", b->id(), "in", SimTime::Nanoseconds(1)).ok());
  ASSERT_TRUE(sim.Connect(a->id(), "in", b->id(), "out", SimTime::Nanoseconds(1)).ok());
  auto r = sim::Run(sim, Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("page 7 missing"));
}

TEST_P(EngineTest, ASimulationRunsOnlyOnce) {
  Simulation sim;
  auto* a = sim.Emplace<testing::Sink>("", "a");
  auto* b = sim.Emplace<testing::Sink>("", "b");
  ASSERT_TRUE(sim.Connect(a->id(), "in", b->id(), "in", SimTime::Nanoseconds(1)).ok());
  ASSERT_TRUE(sim::Run(sim, Options()).ok());
  auto again = sim::Run(sim, Options());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_P(EngineTest, ProgressIsReportedWhileTheRunGoesOn) {
  Simulation sim;
  auto* a = sim.Emplace<Echo>("", "a", 1, 200'000);
  auto* b = sim.Emplace<Echo>("", "b");
  ASSERT_TRUE(sim.Connect(a->id(), "out", b->id(), "in", SimTime::Nanoseconds(1)).ok());
  ASSERT_TRUE(sim.Connect(a->id(), "in", b->id(), "out", SimTime::Nanoseconds(1)).ok());
  RunOptions o = Options();
  o.progress_interval = absl::Milliseconds(1);
  std::atomic<int> reports{0};
  std::atomic<uint64_t> last_events{0};
  o.on_progress = [&](const ProgressSnapshot& s) {
    ++reports;
    last_events = s.committed_events;
  };
  auto r = sim::Run(sim, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->committed_events, 200'001u);
  // No assertion on how many reports arrived (that depends on speed); only
  // that what a report says is never more than what the run did.
  EXPECT_LE(last_events.load(), r->committed_events);
}

TEST_P(EngineTest, ARunStopsWithCancelledWhenAskedTo) {
  Simulation sim;
  auto* a = sim.Emplace<Echo>("", "a", 1, 2'000'000'000);  // would run for minutes
  auto* b = sim.Emplace<Echo>("", "b");
  ASSERT_TRUE(sim.Connect(a->id(), "out", b->id(), "in", SimTime::Nanoseconds(1)).ok());
  ASSERT_TRUE(sim.Connect(a->id(), "in", b->id(), "out", SimTime::Nanoseconds(1)).ok());
  std::atomic<bool> cancel{false};
  RunOptions o = Options();
  o.cancel = &cancel;
  o.progress_interval = absl::Milliseconds(5);
  o.on_progress = [&](const ProgressSnapshot& s) {
    if (s.committed_events > 0) cancel = true;
  };
  auto r = sim::Run(sim, o);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
}

// on_sample runs on each partition's thread with that partition's own
// components, during the run and once at its end, when every event of the
// partition has been handled.
TEST_P(EngineTest, SamplesSeeEachPartitionsOwnComponentsAndTheFinalState) {
  Simulation sim;
  auto* a = sim.Emplace<Echo>("a", "a", 1, 9);
  auto* b = sim.Emplace<Echo>("b", "b");
  ASSERT_TRUE(sim.Connect(a->id(), "out", b->id(), "in", SimTime::Nanoseconds(7)).ok());
  ASSERT_TRUE(sim.Connect(a->id(), "in", b->id(), "out", SimTime::Nanoseconds(5)).ok());
  RunOptions o = Options();
  o.sample_interval = absl::ZeroDuration();
  std::mutex mu;
  std::map<ComponentId, PartitionId> seen_in;
  std::map<ComponentId, size_t> last_log_size;
  o.on_sample = [&](PartitionId p, const std::vector<ComponentId>& ids) {
    std::lock_guard<std::mutex> lock(mu);
    for (ComponentId id : ids) {
      seen_in[id] = p;
      last_log_size[id] = static_cast<const Echo&>(sim.component(id)).log.size();
    }
  };
  auto r = sim::Run(sim, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(seen_in.size(), 2u);
  if (GetParam().partitions > 1) {
    EXPECT_NE(seen_in[a->id()], seen_in[b->id()]);
  }
  EXPECT_EQ(last_log_size[a->id()], 5u);  // 8, 6, 4, 2, 0
  EXPECT_EQ(last_log_size[b->id()], 5u);  // 9, 7, 5, 3, 1
}

// A pilot run (stop_after_events) stops at the first multiple of 4096
// events at or past the limit, says it stopped, and counts each
// component's events: the weights --partitions=auto plans with. The same
// limit stops the same job at the same event every time.
TEST(PilotRunTest, StopsAtTheNextMultipleOf4096AndCountsEventsPerComponent) {
  auto run = [](uint64_t stop_after) {
    Simulation sim;
    auto* a = sim.Emplace<Echo>("", "a", 1, 10'000);  // 10,001 events in all
    auto* b = sim.Emplace<Echo>("", "b");
    EXPECT_TRUE(sim.Connect(a->id(), "out", b->id(), "in", SimTime::Nanoseconds(1)).ok());
    EXPECT_TRUE(sim.Connect(a->id(), "in", b->id(), "out", SimTime::Nanoseconds(1)).ok());
    RunOptions o;
    o.stop_after_events = stop_after;
    return sim::Run(sim, o);
  };
  auto stopped = run(5'000);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_TRUE(stopped->stopped);
  EXPECT_EQ(stopped->committed_events, 8'192u);
  ASSERT_EQ(stopped->events_by_component.size(), 2u);
  EXPECT_EQ(stopped->events_by_component[0] + stopped->events_by_component[1], 8'192u);
  EXPECT_EQ(stopped->events_by_component[0], stopped->events_by_component[1]);  // a ping-pong
  auto again = run(5'000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->digest_hex(), stopped->digest_hex());

  auto whole = run(0);
  ASSERT_TRUE(whole.ok());
  EXPECT_FALSE(whole->stopped);
  EXPECT_EQ(whole->committed_events, 10'001u);
  EXPECT_EQ(whole->events_by_component[0] + whole->events_by_component[1], 10'001u);
  auto past_the_end = run(20'000);  // a limit the job never reaches
  ASSERT_TRUE(past_the_end.ok());
  EXPECT_FALSE(past_the_end->stopped);
  EXPECT_EQ(past_the_end->digest_hex(), whole->digest_hex());
}

TEST(PilotRunTest, APilotOnMoreThanOnePartitionIsRefused) {
  Simulation sim;
  sim.Emplace<Echo>("", "a");
  RunOptions o;
  o.partitions = 2;
  o.stop_after_events = 4096;
  auto r = sim::Run(sim, o);
  EXPECT_THAT(r.status().message(), HasSubstr("a pilot run needs partitions = 1"));
}

TEST(EngineOptionsTest, BadOptionsAreRejectedNamingTheField) {
  Simulation sim;
  RunOptions o;
  o.partitions = 0;
  auto r = sim::Run(sim, o);
  EXPECT_THAT(r.status().message(), HasSubstr("partitions = 0; allowed: 1 to 256"));
  o.partitions = 1;
  o.end_time = SimTime::Picoseconds(-5);
  r = sim::Run(sim, o);
  EXPECT_THAT(r.status().message(), HasSubstr("end_time"));
  EXPECT_THAT(ParseSyncAlgorithm("optimistic").status().message(), HasSubstr("allowed: window, null"));
}

// Ticks `ticks` times, 1 ns apart, on its own, then sends one message out
// of "out"; answers what comes back on "in" as Echo does.
class Ticker : public Component {
 public:
  Ticker(std::string name, int ticks) : Component(std::move(name)), ticks_(ticks) {
    out_ = DeclarePort("out");
    in_ = DeclarePort("in");
  }
  void Init() override { ctx().Schedule(SimTime::Nanoseconds(1), 0, 0); }
  void Handle(const Event& e) override {
    if (e.port != kSelfPort) {
      ++answers;
      return;
    }
    if (++ticked < ticks_) {
      ctx().Schedule(SimTime::Nanoseconds(1), 0, 0);
    } else {
      ctx().Send(out_, 1, 2);
    }
  }
  void AddToDigest(DigestBuilder& d) const override { d.Add(ticked).Add(answers); }
  int ticked = 0;
  int answers = 0;

 private:
  int ticks_;
  PortId out_, in_;
};

// Partition 0 ticks 1000 times, 1 ns apart, while partitions 1 and 2 (a
// chain 0 - 1 - 2, 10 ns links) have nothing to do. One global lookahead
// would cut its run into ~100 windows of 10 ns; bounds from the lookahead
// graph let it run to its send at once. A handful of windows carry the
// message down the chain and back.
TEST(WindowSyncTest, APartitionWhosePeersAreIdleRunsToItsNextSendInOneWindow) {
  for (const bool distributed_over_three : {false, true}) {
    Simulation sim;
    auto* ticker = sim.Emplace<Ticker>("t", "ticker", 1000);
    auto* middle = sim.Emplace<Echo>("m", "middle");
    auto* end = sim.Emplace<Echo>("e", "end");
    ASSERT_TRUE(sim.Connect(ticker->id(), "out", middle->id(), "in", SimTime::Nanoseconds(10)).ok());
    ASSERT_TRUE(sim.Connect(middle->id(), "out", end->id(), "in", SimTime::Nanoseconds(10)).ok());
    ASSERT_TRUE(sim.Connect(ticker->id(), "in", end->id(), "out", SimTime::Nanoseconds(50)).ok());
    RunOptions o;
    o.partitions = distributed_over_three ? 3 : 1;
    if (distributed_over_three) o.plan = PartitionPlan{3, {0, 1, 2}};
    auto r = sim::Run(sim, o);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(ticker->ticked, 1000);
    EXPECT_EQ(middle->log.size(), 1u);  // value 2 from the ticker, answered with 1
    if (!distributed_over_three) continue;
    for (const PartitionStats& p : r->partitions) EXPECT_LE(p.windows, 6u) << "partition " << p.partition;
  }
}

INSTANTIATE_TEST_SUITE_P(AllEngines, EngineTest,
                         ::testing::Values(EngineCase{1, SyncAlgorithm::kWindow},
                                           EngineCase{2, SyncAlgorithm::kWindow},
                                           EngineCase{2, SyncAlgorithm::kNullMessage},
                                           EngineCase{4, SyncAlgorithm::kNullMessage}),
                         CaseName);

}  // namespace
}  // namespace strata::sim
