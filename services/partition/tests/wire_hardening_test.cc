// The kernel wire as a hostile or broken peer would use it: batches whose
// ids do not fit the loaded plan, and loads beyond the documented bounds.
// Each of these crashed or exhausted a partition service before.
#include <atomic>
#include <cstring>

#include "gtest/gtest.h"
#include "partition_set.h"
#include "plan_checked_transport.h"
#include "remote_transport.h"
#include "strata/sim/engine.h"

namespace strata::partition {
namespace {

// Two PHOLD LPs, one per partition; this service runs partition 0.
v1::LoadPartitions TwoLpLoad() {
  v1::LoadPartitions load;
  v1::PholdSpec* p = load.mutable_phold();
  p->set_lps(2);
  p->set_events_per_lp(1);
  p->set_remote_fraction(0.5);
  p->set_lookahead_ps(1'000'000);
  p->set_mean_delay_ps(1'000'000);
  load.set_seed(3);
  load.set_sync(v1::NULL_MESSAGE);
  load.set_end_time_ps(50'000'000);
  load.mutable_plan()->set_partition_count(2);
  load.mutable_plan()->add_partition_of(0);
  load.mutable_plan()->add_partition_of(1);
  load.add_local_partitions(0);
  return load;
}

// An event from LP 1 (partition 1) to LP 0 (partition 0) on its mesh port.
sim::Event ValidEvent() {
  sim::Event e{};
  e.time = sim::SimTime::Microseconds(1);
  e.order = (uint64_t{1} << sim::kSequenceBits) | 5;
  e.target = 0;
  e.port = 0;
  return e;
}

sim::PartitionMessage Batch(sim::Event e) {
  sim::PartitionMessage m;
  m.from = 1;
  m.to = 0;
  m.events.push_back(e);
  return m;
}

class CheckIncomingBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = BuildModel(TwoLpLoad());
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = std::move(*model);
    plan_.partition_count = 2;
    plan_.partition_of = {0, 1};
  }
  absl::Status Check(const sim::PartitionMessage& m) { return CheckIncomingBatch(m, 0, model_.sim(), plan_); }
  BuiltModel model_;
  sim::PartitionPlan plan_;
};

TEST_F(CheckIncomingBatchTest, AcceptsABatchThatFitsThePlan) { EXPECT_TRUE(Check(Batch(ValidEvent())).ok()); }

TEST_F(CheckIncomingBatchTest, RefusesEveryIdThatDoesNotFit) {
  struct Case {
    const char* what;
    sim::PartitionMessage m;
  };
  std::vector<Case> cases;
  sim::Event e = ValidEvent();
  e.target = 0xFFFFFFFF;
  cases.push_back({"target component 4294967295", Batch(e)});
  e = ValidEvent();
  e.target = 1;  // exists, but runs in partition 1
  cases.push_back({"target component 1 is not in partition 0", Batch(e)});
  e = ValidEvent();
  e.port = 7;
  cases.push_back({"port 7", Batch(e)});
  e = ValidEvent();
  e.port = sim::kSelfPort;
  cases.push_back({"port 65535", Batch(e)});
  e = ValidEvent();
  e.order = uint64_t{0xFFFFFF} << sim::kSequenceBits;
  cases.push_back({"source component 16777215", Batch(e)});
  e = ValidEvent();
  e.order = 0;  // LP 0 is partition 0's own
  cases.push_back({"source component 0 is not in partition 1", Batch(e)});
  sim::PartitionMessage m = Batch(ValidEvent());
  m.to = 1;
  cases.push_back({"a batch for partition 1 arrived at partition 0", m});
  m = Batch(ValidEvent());
  m.from = 9;
  cases.push_back({"from partition 9", m});
  m = Batch(ValidEvent());
  m.from = 0;
  cases.push_back({"from partition 0", m});
  for (const Case& c : cases) {
    const absl::Status s = Check(c.m);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_NE(s.message().find(c.what), std::string::npos) << s;
  }
}

// End to end through PartitionSet::Run and RemoteTransport: the fake hub
// answers the partition's first wait with a batch for component
// 0xFFFFFFFF (before the check: SIGSEGV in the kernel).
TEST(WireHardeningTest, ABatchForAComponentOutsideThePlanFailsTheRunInsteadOfCrashing) {
  auto set = PartitionSet::Load(TwoLpLoad(), {});
  ASSERT_TRUE(set.ok()) << set.status();
  sim::Event bad = ValidEvent();
  bad.target = 0xFFFFFFFF;
  const std::vector<std::byte> bytes = sim::EncodeBatch(Batch(bad));
  std::unique_ptr<RemoteTransport> transport;
  std::atomic<int> waits{0};
  transport = std::make_unique<RemoteTransport>(
      2,
      [&](const v1::FromPartitions& m) {
        if (m.call().call_case() != v1::KernelCall::kWaitNextEventPs) return true;  // sends, aborts
        v1::KernelReply reply;
        reply.set_partition(0);
        reply.set_wait(v1::WAIT_MESSAGE);
        if (waits++ == 0) reply.add_batches(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        else reply.set_wait(v1::WAIT_QUIESCENT);
        transport->OnReply(reply);
        return true;
      },
      /*coalesce_sends=*/false);
  const absl::Status s = (*set)->Run(*transport);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("target component 4294967295"), std::string::npos) << s;
}

TEST(WireHardeningTest, PholdLoadsBeyondTheDocumentedBoundsAreRefusedBeforeBuilding) {
  v1::LoadPartitions load = TwoLpLoad();
  load.mutable_phold()->set_events_per_lp(100'000);
  EXPECT_NE(PartitionSet::Load(load, {}).status().message().find("load.phold.events_per_lp = 100000"),
            std::string::npos);
  load.mutable_phold()->set_events_per_lp(0);
  EXPECT_NE(PartitionSet::Load(load, {}).status().message().find("load.phold.events_per_lp = 0"), std::string::npos);
  // 1,000,000 LPs x 1,000 events: each within its own bound, 64 GB together.
  load.mutable_phold()->set_lps(1'000'000);
  load.mutable_phold()->set_events_per_lp(1'000);
  const absl::Status s = PartitionSet::Load(load, {}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("lps x load.phold.events_per_lp = 1000000000"), std::string::npos) << s;
  load.mutable_phold()->set_lps(2'000'000);
  EXPECT_NE(PartitionSet::Load(load, {}).status().message().find("load.phold.lps = 2000000"), std::string::npos);
}

TEST(WireHardeningTest, APlanNamingAPartitionBeyondItsCountIsRefused) {
  v1::LoadPartitions load = TwoLpLoad();
  load.mutable_plan()->set_partition_of(1, 70000);  // was truncated to a 16-bit partition id
  const absl::Status s = PartitionSet::Load(load, {}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("load.plan.partition_of[1] = 70000; allowed: 0 to 1"), std::string::npos) << s;
}

}  // namespace
}  // namespace strata::partition
