// PeerTransport's rules for the streams peers open to it (Adopt), without a
// network: which partition may open which pair's stream, once, and only
// while the run is on. The wire itself runs over real gRPC in
// services/coordinator/tests/distributed_run_test.cc.
#include "peer_transport.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace strata::partition {
namespace {

using Topology = PeerTransport::Topology;

PeerTransport Transport(sim::PartitionId self, int partitions, Topology topology) {
  return PeerTransport("session", self, std::vector<std::string>(partitions, "127.0.0.1:1"), nullptr, topology);
}

grpc::StatusCode AdoptCode(PeerTransport& transport, uint32_t subscriber) {
  auto call = std::make_unique<PeerCall>();  // a server end that never started
  return transport.Adopt(subscriber, &call).error_code();
}

TEST(PeerTransportTest, OnlyTheHigherNumberedPartitionOfALinkedPairOpensItsStreamAndOnlyOnce) {
  PeerTransport transport = Transport(1, 4, Topology::kAllToAll);
  EXPECT_EQ(AdoptCode(transport, 0), grpc::StatusCode::INVALID_ARGUMENT);  // 1 opens the pair {0, 1}
  EXPECT_EQ(AdoptCode(transport, 1), grpc::StatusCode::INVALID_ARGUMENT);  // itself
  EXPECT_EQ(AdoptCode(transport, 4), grpc::StatusCode::INVALID_ARGUMENT);  // outside the plan
  EXPECT_EQ(AdoptCode(transport, 2), grpc::StatusCode::OK);
  EXPECT_EQ(AdoptCode(transport, 2), grpc::StatusCode::INVALID_ARGUMENT);  // twice
  EXPECT_EQ(AdoptCode(transport, 3), grpc::StatusCode::OK);
}

TEST(PeerTransportTest, AStarLinksTheLeavesToTheRootOnly) {
  PeerTransport leaf = Transport(1, 3, Topology::kStar);
  EXPECT_EQ(AdoptCode(leaf, 2), grpc::StatusCode::INVALID_ARGUMENT);  // leaf to leaf goes via the root
  auto call = std::make_unique<PeerCall>();
  EXPECT_NE(leaf.Adopt(0, &call).error_message().find("allowed: none (in a star each leaf opens its one stream"),
            std::string::npos);
  PeerTransport root = Transport(0, 3, Topology::kStar);
  EXPECT_EQ(AdoptCode(root, 1), grpc::StatusCode::OK);
  EXPECT_EQ(AdoptCode(root, 2), grpc::StatusCode::OK);
}

TEST(PeerTransportTest, AStreamAfterTheRunEndedIsRefusedAndTheCallerKeepsIt) {
  PeerTransport transport = Transport(0, 2, Topology::kAllToAll);
  transport.Finish();
  auto call = std::make_unique<PeerCall>();
  const grpc::Status status = transport.Adopt(1, &call);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("has ended"), std::string::npos) << status.error_message();
  EXPECT_NE(call, nullptr);  // PeerAcceptor ends it with that status
}

TEST(PeerTransportTest, AStreamRefusedForItsSubscriberIsLeftToTheCaller) {
  PeerTransport transport = Transport(0, 2, Topology::kAllToAll);
  auto call = std::make_unique<PeerCall>();
  const grpc::Status status = transport.Adopt(0, &call);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("allowed: 1 to 1"), std::string::npos) << status.error_message();
  EXPECT_NE(call, nullptr);
}

}  // namespace
}  // namespace strata::partition
