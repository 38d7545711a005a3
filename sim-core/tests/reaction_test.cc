// Lookahead from the models: declared reactions and dynamic promises are
// checked at every send, and window sync uses them to run longer windows
// with the same digest.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "strata/sim/engine.h"

namespace strata::sim {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr EventType kRequest = 1;
constexpr EventType kReply = 2;
constexpr EventType kServiceDone = 3;

// A server with a fixed service time, worked through in ticks (as a die
// works through pages): a request on "in" starts `service / tick` ticks;
// the last answers on "in". With `declare` it says what that implies: a
// request never makes it send directly (Infinite), its first tick comes no
// sooner than `declared_tick` (a test may set that larger than the truth,
// to see the kernel catch the lie), and it promises its reply no sooner
// than the request's time plus the service, lapsing on a new request.
class Server : public Component {
 public:
  Server(std::string name, SimTime service, SimTime tick, SimTime declared_tick, bool declare)
      : Component(std::move(name)), service_(service), tick_(tick), declare_(declare) {
    in_ = DeclarePort("in");
    if (declare) {
      DeclareReaction(in_, in_, SimTime::Infinite());
      DeclareReaction(in_, kSelfPort, declared_tick);
    }
  }
  void Handle(const Event& e) override {
    if (e.port == in_) {
      ++requests;
      done_at_ = ctx().Now() + service_;
      value_ = e.PayloadAs<int>();
      ctx().Schedule(tick_, kServiceDone);
      if (declare_) ctx().PromiseNoOutputBefore(in_, done_at_, in_);
      return;
    }
    ++ticks;
    if (ctx().Now() < done_at_) {
      ctx().Schedule(tick_, kServiceDone);
    } else {
      ctx().Send(in_, kReply, value_);
    }
  }
  void AddToDigest(DigestBuilder& d) const override { d.Add(requests).Add(ticks); }
  uint64_t requests = 0, ticks = 0;

 private:
  SimTime service_, tick_;
  bool declare_;
  PortId in_;
  SimTime done_at_;
  int value_ = 0;
};

// Sends `count` requests one after another, the next when a reply comes,
// and meanwhile works on its own in ticks (as a host computes attention).
// With `declare`: its own ticks never make it send (Infinite).
class Client : public Component {
 public:
  Client(std::string name, int count, SimTime tick = SimTime::Zero(), bool declare = false)
      : Component(std::move(name)), count_(count), tick_(tick) {
    out_ = DeclarePort("out");
    if (declare) DeclareReaction(kSelfPort, out_, SimTime::Infinite());
  }
  void Init() override {
    ctx().Send(out_, kRequest, 0);
    if (tick_ > SimTime::Zero()) ctx().Schedule(tick_, kServiceDone);
  }
  void Handle(const Event& e) override {
    if (e.port == kSelfPort) {
      ++ticks;
      if (static_cast<int>(replies.size()) < count_) ctx().Schedule(tick_, kServiceDone);
      return;
    }
    replies.push_back(ctx().Now());
    const int next = e.PayloadAs<int>() + 1;
    if (next < count_) ctx().Send(out_, kRequest, next);
  }
  void AddToDigest(DigestBuilder& d) const override {
    for (SimTime t : replies) d.Add(t);
    d.Add(ticks);
  }
  std::vector<SimTime> replies;
  uint64_t ticks = 0;

 private:
  int count_;
  SimTime tick_;
  PortId out_;
};

struct Built {
  std::unique_ptr<Simulation> sim = std::make_unique<Simulation>();
  Client* client = nullptr;
  Server* server = nullptr;
};

// 5 us services in 100 ns ticks; the client ticks every 100 ns too.
Built ClientServer(bool declare, SimTime declared_tick = SimTime::Nanoseconds(100), int requests = 20) {
  const SimTime tick = SimTime::Nanoseconds(100);
  Built b;
  b.client = b.sim->Emplace<Client>("c", "client", requests, tick, declare);
  b.server = b.sim->Emplace<Server>("s", "server", SimTime::Microseconds(5), tick, declared_tick, declare);
  EXPECT_TRUE(b.sim->Connect(b.client->id(), "out", b.server->id(), "in", SimTime::Nanoseconds(1)).ok());
  return b;
}

RunOptions Options(int partitions, SyncAlgorithm sync) {
  RunOptions o;
  o.partitions = partitions;
  o.sync = sync;
  if (partitions == 2) o.plan = PartitionPlan{2, {0, 1}};
  return o;
}

TEST(ReactionTest, ASendSoonerThanTheDeclaredReactionFailsNamingComponentPortsAndTimes) {
  // Ticks of 100 ns, declared 150 ns: the first tick is scheduled 50 ns too soon.
  for (int partitions : {1, 2}) {
    Built b = ClientServer(true, SimTime::Nanoseconds(150));
    auto r = sim::Run(*b.sim, Options(partitions, SyncAlgorithm::kWindow));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
    EXPECT_THAT(r.status().message(),
                AllOf(HasSubstr("causality violation"), HasSubstr("'server'"), HasSubstr("scheduled itself an event"),
                      HasSubstr("port 'server.in'"), HasSubstr("declared reaction"), HasSubstr("t=151 ns")));
  }
}

// Replies on the port a request came in on, at once: a declared "never"
// (Infinite) reaction from that port is broken by the first request.
TEST(ReactionTest, ANeverReactionIsBrokenByAnySend) {
  class Liar : public Component {
   public:
    Liar() : Component("liar") {
      in_ = DeclarePort("in");
      DeclareReaction(in_, in_, SimTime::Infinite());
    }
    void Handle(const Event& e) override { ctx().Send(in_, kReply, e.PayloadAs<int>()); }
    void AddToDigest(DigestBuilder&) const override {}
    PortId in_;
  };
  Simulation sim;
  auto* client = sim.Emplace<Client>("c", "client", 3);
  auto* liar = sim.Emplace<Liar>("l");
  ASSERT_TRUE(sim.Connect(client->id(), "out", liar->id(), "in", SimTime::Nanoseconds(1)).ok());
  auto r = sim::Run(sim, Options(2, SyncAlgorithm::kWindow));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), AllOf(HasSubstr("sent on port 'liar.in'"), HasSubstr("t=inf")));
}

TEST(ReactionTest, AReactionOnAnUndeclaredPortIsRefusedBeforeTimeZero) {
  class Bad : public Component {
   public:
    Bad() : Component("bad") {
      DeclarePort("in");
      DeclareReaction(0, 7, SimTime::Nanoseconds(1));
    }
    void Handle(const Event&) override {}
    void AddToDigest(DigestBuilder&) const override {}
  };
  Simulation sim;
  auto* client = sim.Emplace<Client>("c", "client", 1);
  auto* bad = sim.Emplace<Bad>("b");
  ASSERT_TRUE(sim.Connect(client->id(), "out", bad->id(), "in", SimTime::Nanoseconds(1)).ok());
  auto r = sim::Run(sim, Options(2, SyncAlgorithm::kWindow));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), AllOf(HasSubstr("'bad'"), HasSubstr("ports 0 and 7")));
}

// A promise may only move forward until it lapses.
TEST(PromiseTest, APromiseRevisedBackwardsIsRefused) {
  class Backtracker : public Component {
   public:
    Backtracker() : Component("backtracker") { in_ = DeclarePort("in"); }
    void Handle(const Event&) override {
      ctx().PromiseNoOutputBefore(in_, ctx().Now() + SimTime::Microseconds(10));
      ctx().PromiseNoOutputBefore(in_, ctx().Now() + SimTime::Microseconds(3));
    }
    void AddToDigest(DigestBuilder&) const override {}
    PortId in_;
  };
  Simulation sim;
  auto* client = sim.Emplace<Client>("c", "client", 1);
  auto* b = sim.Emplace<Backtracker>("b");
  ASSERT_TRUE(sim.Connect(client->id(), "out", b->id(), "in", SimTime::Nanoseconds(1)).ok());
  auto r = sim::Run(sim, RunOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), AllOf(HasSubstr("backwards"), HasSubstr("from t=10.001 us"),
                                          HasSubstr("to t=3.001 us")));
}

// Promises a reply no sooner than 10 us after each request, but replies
// after 2 us: the send breaks the live promise.
TEST(PromiseTest, ASendThatBreaksALivePromiseFails) {
  class Breaker : public Component {
   public:
    Breaker() : Component("breaker") { in_ = DeclarePort("in"); }
    void Handle(const Event& e) override {
      if (e.port == in_) {
        ctx().PromiseNoOutputBefore(in_, ctx().Now() + SimTime::Microseconds(10), in_);
        ctx().Schedule(SimTime::Microseconds(2), kServiceDone, e.PayloadAs<int>());
        return;
      }
      ctx().Send(in_, kReply, e.PayloadAs<int>());
    }
    void AddToDigest(DigestBuilder&) const override {}
    PortId in_;
  };
  Simulation sim;
  auto* client = sim.Emplace<Client>("c", "client", 1);
  auto* b = sim.Emplace<Breaker>("b");
  ASSERT_TRUE(sim.Connect(client->id(), "out", b->id(), "in", SimTime::Nanoseconds(1)).ok());
  auto r = sim::Run(sim, RunOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), AllOf(HasSubstr("causality violation"), HasSubstr("'breaker.in'"),
                                          HasSubstr("its promise"), HasSubstr("t=10.001 us")));
}

// The server's promise lapses with every new request (its lapse port), so
// a request answered sooner than the previous promise is allowed.
TEST(PromiseTest, APromiseLapsesWhenAnEventArrivesOnItsLapsePort) {
  Built b = ClientServer(true, SimTime::Nanoseconds(100), 3);
  auto r = sim::Run(*b.sim, RunOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(b.client->replies.size(), 3u);
  // Request at 1 ns, reply 5 us later, 1 ns back; and twice more.
  EXPECT_EQ(b.client->replies[2], SimTime::Nanoseconds(3 * (5000 + 2)));
}

// Both sides tick every 100 ns and are joined by a 1 ns link: link
// latencies alone bound each partition by the other's next tick plus 1 ns,
// so every tick costs a window. The declarations (the server answers only
// at the end of a service and promises so; the client's own ticks never
// send) let each partition run a whole service per window, digest intact.
TEST(ReactionWindowTest, DeclaredReactionsWidenWindowsAndKeepTheDigest) {
  Built reference = ClientServer(false);
  auto one = sim::Run(*reference.sim, Options(1, SyncAlgorithm::kWindow));
  ASSERT_TRUE(one.ok()) << one.status();
  uint64_t windows_plain = 0, windows_declared = 0;
  for (const bool declare : {false, true}) {
    for (SyncAlgorithm sync : {SyncAlgorithm::kWindow, SyncAlgorithm::kNullMessage}) {
      for (int partitions : {1, 2}) {
        Built b = ClientServer(declare);
        auto r = sim::Run(*b.sim, Options(partitions, sync));
        ASSERT_TRUE(r.ok()) << r.status();
        EXPECT_EQ(r->digest, one->digest) << "declare " << declare << ", " << partitions << " partitions";
        if (sync == SyncAlgorithm::kWindow && partitions == 2) {
          (declare ? windows_declared : windows_plain) = r->partitions[0].windows;
        }
      }
    }
  }
  // 20 requests of 5 us: 50 ticks each on both sides.
  EXPECT_GT(windows_plain, 20u * 50u);
  EXPECT_LT(windows_declared, 20u * 5u) << "without declarations: " << windows_plain;
}

}  // namespace
}  // namespace strata::sim
