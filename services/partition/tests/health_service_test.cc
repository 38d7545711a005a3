// The standard health service (grpc.health.v1, gRPC's default
// implementation) as a partition service answers it: a real PartitionServer
// on loopback, asked over gRPC as a load balancer or grpc_health_probe would.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "partition_server.h"
#include "strata/v1/partition_service.grpc.pb.h"

namespace strata::partition {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

class HealthServiceTest : public testing::Test {
 protected:
  void SetUp() override {
    SelectPollingEngine();
    auto server = PartitionServer::Start({v1::NAND, "127.0.0.1:0", nullptr});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = Health::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                                grpc::InsecureChannelCredentials()));
  }
  grpc::Status Check(const std::string& service, HealthCheckResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    HealthCheckRequest request;
    request.set_service(service);
    return stub_->Check(&context, request, response);
  }
  // Opens a Watch on `service` and returns the status its first message
  // gives (UNKNOWN if none came).
  HealthCheckResponse::ServingStatus Watch(const std::string& service, grpc::ClientContext* context,
                                           std::unique_ptr<grpc::ClientReader<HealthCheckResponse>>* watch) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    HealthCheckRequest request;
    request.set_service(service);
    *watch = stub_->Watch(context, request);
    HealthCheckResponse response;
    return (*watch)->Read(&response) ? response.status() : HealthCheckResponse::UNKNOWN;
  }

  std::unique_ptr<PartitionServer> server_;
  std::unique_ptr<Health::Stub> stub_;
};

TEST_F(HealthServiceTest, TheServerAndItsServiceAreServingAndOthersAreUnknown) {
  for (const std::string service : {"", "strata.v1.PartitionService"}) {
    HealthCheckResponse response;
    ASSERT_TRUE(Check(service, &response).ok()) << service;
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING) << service;
  }
  HealthCheckResponse response;
  const grpc::Status unknown = Check("strata.v1.NoSuchService", &response);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(HealthServiceTest, AWatcherHearsServingAndItsStreamEndsWhenTheServerShutsDown) {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> watch;
  EXPECT_EQ(Watch("strata.v1.PartitionService", &context, &watch), HealthCheckResponse::SERVING);
  // gRPC 1.51's default service does not send NOT_SERVING to a watcher at
  // shutdown: its stream ends when the server's grace period does.
  server_->Shutdown(absl::Milliseconds(200));
  HealthCheckResponse response;
  while (watch->Read(&response)) EXPECT_NE(response.status(), HealthCheckResponse::SERVING);
  watch->Finish();
}

TEST_F(HealthServiceTest, AWatchOnAnUnknownServiceStaysOpenUntilTheClientLeaves) {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> watch;
  EXPECT_EQ(Watch("strata.v1.NoSuchService", &context, &watch), HealthCheckResponse::SERVICE_UNKNOWN);
  context.TryCancel();
  HealthCheckResponse response;
  EXPECT_FALSE(watch->Read(&response));
  EXPECT_EQ(watch->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

}  // namespace
}  // namespace strata::partition
