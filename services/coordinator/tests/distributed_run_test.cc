// RunDistributed over real gRPC, with partition services in this process
// on loopback ports: window sync peer to peer between the services, and
// through the coordinator's hub, both give the one-process digest; a
// service that goes away mid-run fails the run naming its partition and
// the others take the next run; a load whose peers do not fit the plan is
// refused naming the field, and the service stays up.
#include <thread>

#include "absl/strings/str_cat.h"
#include "distributed/distributed_run.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "partition_server.h"
#include "partition_set.h"
#include "strata/sim/digest.h"
#include "strata/v1/partition_service.grpc.pb.h"
#include "tests/phold_load.h"

namespace strata::coordinator {
namespace {

class DistributedRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int s = 0; s < 5; ++s) {
      auto server = partition::PartitionServer::Start({v1::HOST, "127.0.0.1:0", nullptr});
      ASSERT_TRUE(server.ok()) << server.status();
      addresses_.push_back(absl::StrCat("127.0.0.1:", (*server)->port()));
      servers_.push_back(std::move(*server));
    }
  }

  // PHOLD on `partitions` partitions (one per service); end_us 0: runs
  // until stopped.
  static v1::LoadPartitions Phold(int partitions, v1::SyncAlgorithm sync, int64_t end_us = 200) {
    v1::LoadPartitions load = partition::PholdLoad(partitions, sync, end_us * 1'000'000);
    load.set_run_id("distributed-run-test");
    return load;
  }

  DistributedRunRequest Request(const v1::LoadPartitions& load, const std::vector<int>& services) {
    DistributedRunRequest request;
    request.load = load;
    request.placement.plan.partition_count = load.plan().partition_count();
    request.placement.plan.partition_of.assign(load.plan().partition_of().begin(), load.plan().partition_of().end());
    for (int s : services) {
      request.placement.service.push_back({v1::HOST, addresses_[s]});
      request.placement.groups.push_back({absl::StrCat("service ", s)});
    }
    request.components = static_cast<uint32_t>(load.plan().partition_of_size());
    return request;
  }

  std::vector<std::unique_ptr<partition::PartitionServer>> servers_;
  std::vector<std::string> addresses_;
};

using Wire = DistributedRunRequest::Wire;

TEST_F(DistributedRunTest, EveryWireGivesTheOneProcessDigest) {
  const v1::LoadPartitions load = Phold(3, v1::WINDOW);
  const std::string embedded = sim::DigestToHex(partition::OneProcessDigest(load));
  for (Wire wire : {Wire::kPeer, Wire::kStar, Wire::kHub, Wire::kAuto}) {
    DistributedRunRequest request = Request(load, {0, 1, 2});
    request.wire = wire;
    auto run = RunDistributed(request);
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(run->wire, wire == Wire::kAuto ? Wire::kStar : wire);  // auto at 3: the fewest messages
    EXPECT_EQ(sim::DigestToHex(run->digest), embedded) << WireName(wire);
    uint64_t windows = 0;
    for (const auto& p : run->partitions) windows = std::max(windows, p.windows);
    EXPECT_GT(windows, 10u);  // the partitions really synchronised, many times
  }
}

TEST_F(DistributedRunTest, NullMessageRunsGoThroughTheHub) {
  const v1::LoadPartitions load = Phold(3, v1::NULL_MESSAGE);
  for (Wire wire : {Wire::kPeer, Wire::kStar}) {
    DistributedRunRequest request = Request(load, {0, 1, 2});
    request.wire = wire;
    auto run = RunDistributed(request);
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(run->wire, Wire::kHub);
    EXPECT_EQ(sim::DigestToHex(run->digest), sim::DigestToHex(partition::OneProcessDigest(load)));
  }
}

// Shuts `lost` down mid-run; the run must fail naming `partition`.
void LoseAServiceMidRun(const DistributedRunRequest& request,
                        partition::PartitionServer& lost, const std::string& partition) {
  absl::StatusOr<DistributedRunResult> run;
  std::thread driver([&] { run = RunDistributed(request); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  lost.Shutdown(absl::ZeroDuration());  // its streams are cancelled at once
  driver.join();
  ASSERT_FALSE(run.ok()) << WireName(request.wire);
  EXPECT_NE(run.status().message().find(partition), std::string::npos) << run.status();
}

TEST_F(DistributedRunTest, AServiceLostMidRunFailsItNamingThePartitionAndTheOthersRunTheNext) {
  const v1::LoadPartitions endless = Phold(3, v1::WINDOW, /*end_us=*/0);
  DistributedRunRequest request = Request(endless, {0, 1, 2});
  request.wire = Wire::kPeer;
  LoseAServiceMidRun(request, *servers_[2], "partition 2");
  // A star loses its root: both leaves wait on it.
  request = Request(endless, {3, 0, 1});
  request.wire = Wire::kStar;
  LoseAServiceMidRun(request, *servers_[3], "partition 0");
  // And a leaf. The other leaf is ended by the root's relayed abort or by
  // the coordinator's cancel, whichever comes first: this checks the run
  // fails naming the partition and nothing hangs, not which one did it.
  request = Request(endless, {0, 1, 4});
  request.wire = Wire::kStar;
  LoseAServiceMidRun(request, *servers_[4], "partition 2");

  const v1::LoadPartitions next = Phold(2, v1::WINDOW);
  auto after = RunDistributed(Request(next, {0, 1}));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->wire, Wire::kPeer);  // auto at 2: 2 messages per window, one hop
  EXPECT_EQ(sim::DigestToHex(after->digest), sim::DigestToHex(partition::OneProcessDigest(next)));
}

TEST_F(DistributedRunTest, PeersThatDoNotFitThePlanAreRefusedNamingTheFieldAndTheServiceStaysUp) {
  auto stub = v1::PartitionService::NewStub(grpc::CreateChannel(addresses_[0], grpc::InsecureChannelCredentials()));
  v1::ToPartitions first;
  *first.mutable_load() = Phold(3, v1::WINDOW);
  first.mutable_load()->add_local_partitions(0);
  first.mutable_load()->add_peers(addresses_[1]);  // one address for three partitions
  first.mutable_load()->set_peer_session("bad");
  grpc::ClientContext context;
  auto stream = stub->RunPartitions(&context);
  ASSERT_TRUE(stream->Write(first));
  v1::FromPartitions reply;
  ASSERT_TRUE(stream->Read(&reply));
  ASSERT_TRUE(reply.has_loaded());
  EXPECT_FALSE(reply.loaded().ok());
  EXPECT_NE(reply.loaded().error().find("peers has 1 addresses; allowed: one per partition (3)"), std::string::npos)
      << reply.loaded().error();
  stream->WritesDone();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // A peer stream for a run that is not loaded here, and one that does not
  // start with its subscription: each ends at once, naming why.
  auto open_stream = [&](const v1::PeerWindow& first) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));  // answered at once
    auto peer_stream = stub->ExchangeWindows(&context);
    peer_stream->Write(first);
    v1::PeerWindow window;
    EXPECT_FALSE(peer_stream->Read(&window));
    return peer_stream->Finish();
  };
  v1::PeerWindow subscribe;
  subscribe.mutable_subscribe()->set_run_id("no such run");
  subscribe.mutable_subscribe()->set_subscriber(1);
  const grpc::Status unknown = open_stream(subscribe);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(unknown.error_message().find("no such run"), std::string::npos) << unknown.error_message();
  v1::PeerWindow window_first;
  window_first.add_earliest_ps(0);
  const grpc::Status no_subscribe = open_stream(window_first);
  EXPECT_EQ(no_subscribe.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(no_subscribe.error_message().find("subscribe"), std::string::npos) << no_subscribe.error_message();

  for (Wire wire : {Wire::kPeer, Wire::kStar}) {  // still serving, peers included
    DistributedRunRequest request = Request(Phold(3, v1::WINDOW), {0, 1, 2});
    request.wire = wire;
    auto run = RunDistributed(request);
    ASSERT_TRUE(run.ok()) << run.status();
  }
}

}  // namespace
}  // namespace strata::coordinator
