#include "strata/sim/transport.h"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

namespace strata::sim {
namespace {

TEST(BatchCodecTest, RoundTripsEventsAsRawBytes) {
  PartitionMessage m;
  m.from = 3;
  m.to = 5;
  m.promise = SimTime::Nanoseconds(42);
  for (int i = 0; i < 3; ++i) {
    Event e{};
    e.time = SimTime::Nanoseconds(100 + i);
    e.order = 77 + i;
    e.target = 9;
    e.port = 1;
    e.type = 4;
    e.payload[0] = std::byte{static_cast<unsigned char>(i)};
    m.events.push_back(e);
  }
  const std::vector<std::byte> bytes = EncodeBatch(m);
  EXPECT_EQ(bytes.size(), 24 + 3 * sizeof(Event));
  PartitionMessage out;
  ASSERT_TRUE(DecodeBatch(bytes.data(), bytes.size(), &out));
  EXPECT_EQ(out.from, 3);
  EXPECT_EQ(out.to, 5);
  EXPECT_EQ(out.promise, SimTime::Nanoseconds(42));
  ASSERT_EQ(out.events.size(), 3u);
  EXPECT_EQ(out.events[2].time, SimTime::Nanoseconds(102));
  EXPECT_EQ(out.events[2].payload[0], std::byte{2});
}

TEST(BatchCodecTest, RejectsTruncatedOrForeignBytes) {
  PartitionMessage m;
  m.events.resize(2);
  std::vector<std::byte> bytes = EncodeBatch(m);
  PartitionMessage out;
  EXPECT_FALSE(DecodeBatch(bytes.data(), bytes.size() - 1, &out));
  bytes[0] = std::byte{0};
  EXPECT_FALSE(DecodeBatch(bytes.data(), bytes.size(), &out));
  EXPECT_FALSE(DecodeBatch(bytes.data(), 3, &out));
}

TEST(BatchCodecTest, RejectsAnEventCountWhoseByteSizeWouldOverflow) {
  PartitionMessage m;
  m.events.resize(1);
  std::vector<std::byte> bytes = EncodeBatch(m);
  // 24 + 2^58 x 64 wraps to 24 + 0 (mod 2^64): with one event's bytes
  // short of that, only a check that cannot overflow refuses it.
  const uint64_t huge = (uint64_t{1} << 58);
  std::memcpy(bytes.data() + 16, &huge, sizeof huge);  // event_count sits after magic, from, to, promise
  PartitionMessage out;
  EXPECT_FALSE(DecodeBatch(bytes.data(), bytes.size(), &out));
  bytes.resize(bytes.size() - sizeof(Event));  // header only: 24 bytes, as the wrapped product claims
  EXPECT_FALSE(DecodeBatch(bytes.data(), bytes.size(), &out));
  EXPECT_TRUE(out.events.empty());
}

TEST(InProcessTransportTest, WaitReportsQuiescenceOnlyWhenAllAreIdleAndNothingIsInFlight) {
  InProcessTransport t(2);
  PartitionMessage m;
  m.from = 0;
  m.to = 1;
  m.events.resize(1);
  t.Send(m);
  // Partition 0 waits idle while events sit in 1's mailbox: not quiescent.
  SimTime floor;
  std::thread waiter([&] {
    SimTime f;
    EXPECT_EQ(t.Wait(0, SimTime::Infinite(), &f), WaitResult::kQuiescent);
  });
  std::vector<PartitionMessage> got;
  EXPECT_EQ(t.Wait(1, SimTime::Infinite(), &floor), WaitResult::kMessage);
  t.Receive(1, &got);
  EXPECT_EQ(got.size(), 1u);
  EXPECT_EQ(t.Wait(1, SimTime::Infinite(), &floor), WaitResult::kQuiescent);
  waiter.join();
}

TEST(InProcessTransportTest, NullMessagesDoNotKeepARunAlive) {
  InProcessTransport t(2);
  PartitionMessage null_message;
  null_message.from = 1;
  null_message.to = 0;
  t.Send(null_message);  // a promise, no events
  SimTime floor;
  EXPECT_EQ(t.Wait(0, SimTime::Infinite(), &floor), WaitResult::kMessage);    // it is delivered
  EXPECT_EQ(t.Wait(1, SimTime::Infinite(), &floor), WaitResult::kQuiescent);  // both idle, no events in flight
  EXPECT_EQ(t.Wait(0, SimTime::Infinite(), &floor), WaitResult::kQuiescent);
}

TEST(InProcessTransportTest, BlockedPartitionsGetTheGlobalMinimumAsAFloor) {
  // Three partitions: two blocked with events at 70 ns and 50 ns, one idle.
  InProcessTransport t(3);
  SimTime f0, f1, f2;
  std::thread a([&] { EXPECT_EQ(t.Wait(0, SimTime::Nanoseconds(70), &f0), WaitResult::kFloor); });
  std::thread b([&] { EXPECT_EQ(t.Wait(1, SimTime::Nanoseconds(50), &f1), WaitResult::kFloor); });
  // The idle partition's Wait completes the picture; it gets no floor and
  // stays blocked until the run ends.
  std::thread c([&] { EXPECT_EQ(t.Wait(2, SimTime::Infinite(), &f2), WaitResult::kAborted); });
  a.join();
  b.join();
  EXPECT_EQ(f0, SimTime::Nanoseconds(50));
  EXPECT_EQ(f1, SimTime::Nanoseconds(50));
  t.Abort();
  c.join();
}

TEST(InProcessTransportTest, NoFloorWhileEventsAreInFlight) {
  InProcessTransport t(2);
  PartitionMessage m;
  m.from = 1;
  m.to = 0;
  m.events.resize(1);
  t.Send(m);
  SimTime floor;
  // Partition 0 has events waiting in its mailbox: it gets them, not a floor.
  EXPECT_EQ(t.Wait(0, SimTime::Nanoseconds(10), &floor), WaitResult::kMessage);
}

TEST(InProcessTransportTest, AbortWakesABarrier) {
  InProcessTransport t(2);
  std::thread waiter([&] { EXPECT_FALSE(t.AllReduceMin(0, {SimTime::Nanoseconds(1)}).has_value()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  t.Abort();
  waiter.join();
}

TEST(InProcessTransportTest, AllReduceMinReturnsTheElementwiseMinimumToEveryone) {
  InProcessTransport t(3);
  std::vector<std::vector<SimTime>> results(3);
  std::vector<std::thread> threads;
  for (int p = 0; p < 3; ++p) {
    threads.emplace_back([&, p] {
      results[p] = *t.AllReduceMin(static_cast<PartitionId>(p),
                                   {SimTime::Nanoseconds(10 - p), SimTime::Nanoseconds(20 + p)});
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : results) {
    EXPECT_EQ(r, (std::vector<SimTime>{SimTime::Nanoseconds(8), SimTime::Nanoseconds(20)}));
  }
}

}  // namespace
}  // namespace strata::sim
