// JobService end to end in one process: a CoordinatorServer on a loopback
// port, a real gRPC channel and stub, SQLite on disk.
#include "server/coordinator_server.h"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/generic/generic_stub.h"
#include "services/coordinator/job/job_runner.h"
#include "prometheus/text_serializer.h"
#include "rpc_metrics.h"
#include "sweep/sweep.h"
#include "sweep/sweep_client.h"
#include "tests/generic_call.h"
#include "strata/v1/job_service.grpc.pb.h"

namespace strata::coordinator {
namespace {

using ::testing::HasSubstr;

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The pid keeps concurrent runs of the suite (other checkouts, CI) apart.
    db_ = ::testing::TempDir() + "/coordinator_test_" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" + std::to_string(getpid()) +
          ".sqlite";
    std::filesystem::remove(db_);
    std::filesystem::remove(db_ + "-wal");
    StartServer();
  }
  void StartServer() {
    CoordinatorOptions o;
    o.listen_address = "127.0.0.1:0";
    o.database = db_;
    o.registry = registry_;
    auto server = CoordinatorServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = v1::JobService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  }
  std::unique_ptr<grpc::ClientContext> Context() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return c;
  }
  v1::JobSpec Spec(const std::string& text) { return *ParseJobSpecText(text); }
  grpc::Status Submit(const v1::JobSpec& spec, v1::Job* job, const std::string& request_id = "") {
    v1::SubmitJobRequest request;
    *request.mutable_spec() = spec;
    request.set_request_id(request_id);
    return stub_->SubmitJob(Context().get(), request, job);
  }
  // Watches until the job is final; returns the last message and how many came.
  v1::Job WatchToEnd(const std::string& id, int* messages = nullptr) {
    v1::WatchJobRequest request;
    request.set_id(id);
    auto context = Context();
    auto reader = stub_->WatchJob(context.get(), request);
    v1::Job job, last;
    int n = 0;
    while (reader->Read(&job)) {
      last = job;
      ++n;
    }
    EXPECT_TRUE(reader->Finish().ok());
    if (messages) *messages = n;
    return last;
  }
  v1::Job WaitForState(const std::string& id, v1::JobState state) {
    v1::Job job;
    for (int i = 0; i < 300; ++i) {
      v1::GetJobRequest request;
      request.set_id(id);
      EXPECT_TRUE(stub_->GetJob(Context().get(), request, &job).ok());
      if (job.state() == state) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return job;
  }

  static constexpr const char* kSmallJob = R"pb(
    name: "small" model { catalog_name: "llama-2-7b" }
    workload { prompt_tokens: 32 decode_tokens: 4 } system { in_memory {} })pb";
  // About 40 s of wall time: long enough to watch it run and to cancel it.
  static constexpr const char* kLongJob = R"pb(
    name: "long" model { catalog_name: "llama-2-70b" }
    workload { prompt_tokens: 8 decode_tokens: 100000 } system { in_memory {} })pb";

  std::string db_;
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::unique_ptr<CoordinatorServer> server_;
  std::unique_ptr<v1::JobService::Stub> stub_;
};

TEST_F(CoordinatorTest, ASubmittedJobRunsAndMatchesTheEmbeddedRunsDigest) {
  v1::Job job;
  ASSERT_TRUE(Submit(Spec(kSmallJob), &job).ok());
  EXPECT_EQ(job.state(), v1::QUEUED);
  const v1::Job done = WatchToEnd(job.id());
  ASSERT_EQ(done.state(), v1::SUCCEEDED) << done.error();
  auto embedded = RunJob(Spec(kSmallJob));
  ASSERT_TRUE(embedded.ok());
  EXPECT_EQ(done.result().digest(), embedded->digest());
  EXPECT_EQ(done.result().tokens_per_second(), embedded->tokens_per_second());
  // Both come from RunJob, so also hold the served result to a reference of
  // its own: LLaMA-2-7B in DRAM decodes at the DDR5 roofline, 86.4 GB/s read
  // at its sustained 0.88 over the weight bytes of a token (within the 15%
  // KV, activations and per-op overheads take at this context; see
  // JobRunnerTest.InMemoryDecode...).
  const double roofline = 86.4e9 * 0.88 / static_cast<double>(done.result().weight_bytes_per_token());
  EXPECT_LE(done.result().tokens_per_second(), roofline);
  EXPECT_GT(done.result().tokens_per_second(), 0.85 * roofline);
  // LLaMA-2-7B INT8: 6.74 B parameters, about one byte each per token.
  EXPECT_NEAR(static_cast<double>(done.result().weight_bytes_per_token()), 6.74e9, 0.05 * 6.74e9);
}

// A job the coordinator runs itself exports the model's figures too, from
// its partitions' own threads, labelled with its id.
TEST_F(CoordinatorTest, AnEmbeddedJobExportsModelFiguresPerPartition) {
  v1::Job job;
  ASSERT_TRUE(Submit(Spec(R"pb(
    name: "nvllm" model { catalog_name: "llama-2-7b" }
    workload { prompt_tokens: 16 decode_tokens: 2 } system { nvllm {} }
    simulation { partitions: 2 })pb"), &job).ok());
  ASSERT_EQ(WatchToEnd(job.id()).state(), v1::SUCCEEDED);
  const std::string text = prometheus::TextSerializer().Serialize(registry_->Collect());
  for (const char* partition : {"0", "1"}) {
    const std::string series =
        absl::StrCat("strata_nand_pages_read_total{partition=\"", partition, "\",sim_job=\"", job.id(), "\"} ");
    const size_t at = text.find(series);
    ASSERT_NE(at, std::string::npos) << series << " not in\n" << text;
    EXPECT_GT(std::stod(text.substr(at + series.size())), 0) << series;
  }
}

// A sweep run on the coordinator: every point a job, results in grid order
// equal to the embedded runs; submitting the same sweep again reuses them.
TEST_F(CoordinatorTest, ASweepRunsAsJobsAndASecondSubmissionReusesThem) {
  v1::SweepSpec sweep;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    name: "tokens" base { model { catalog_name: "llama-2-7b" } workload { prompt_tokens: 16 } system { in_memory {} } }
    axes { field: "workload.decode_tokens" values: "2" values: "3" })pb", &sweep));
  auto points = ExpandSweep(sweep);
  ASSERT_TRUE(points.ok()) << points.status();
  std::vector<std::pair<size_t, size_t>> progress;
  const SweepSubmission first =
      RunSweepOnCoordinator(*stub_, sweep, *points, [&](size_t done, size_t total) { progress.push_back({done, total}); });
  ASSERT_EQ(first.results.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(first.results[i].ok()) << first.results[i].status();
    auto embedded = RunJob((*points)[i].job);
    ASSERT_TRUE(embedded.ok());
    EXPECT_EQ(first.results[i]->digest(), embedded->digest()) << "grid point " << i;
  }
  EXPECT_NE(first.results[0]->digest(), first.results[1]->digest());
  EXPECT_EQ(progress, (std::vector<std::pair<size_t, size_t>>{{1, 2}, {2, 2}}));

  const SweepSubmission again = RunSweepOnCoordinator(*stub_, sweep, *points);
  EXPECT_EQ(again.job_ids, first.job_ids);
  v1::ListJobsResponse list;
  ASSERT_TRUE(stub_->ListJobs(Context().get(), v1::ListJobsRequest(), &list).ok());
  EXPECT_EQ(list.jobs_size(), 2);
}

// A coordinator that is not there: every point fails with the reason.
TEST(SweepClientTest, AnUnreachableCoordinatorFailsEveryPointWithTheReason) {
  v1::SweepSpec sweep;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    base { model { catalog_name: "llama-2-7b" } system { in_memory {} } }
    axes { field: "workload.decode_tokens" values: "2" values: "3" })pb", &sweep));
  auto points = ExpandSweep(sweep);
  ASSERT_TRUE(points.ok());
  auto stub = v1::JobService::NewStub(grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()));
  const SweepSubmission s = RunSweepOnCoordinator(*stub, sweep, *points);
  for (const auto& r : s.results) {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(r.status().message(), HasSubstr("submitting grid point"));
  }
  EXPECT_EQ(s.job_ids, (std::vector<std::string>{"", ""}));
  EXPECT_NE(SweepRequestId(sweep, 0), SweepRequestId(sweep, 1));
  EXPECT_EQ(SweepRequestId(sweep, 0), SweepRequestId(sweep, 0));
}

TEST_F(CoordinatorTest, AMalformedSpecIsRejectedWithInvalidArgumentAndNothingIsStored) {
  v1::Job job;
  grpc::Status s = Submit(Spec(R"pb(model { catalog_name: "llama-7b" } workload { batch_size: -1 }
                                    system { in_memory {} })pb"),
                          &job);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("workload.batch_size = -1; allowed: 1 to 1024"));
  v1::ListJobsResponse list;
  ASSERT_TRUE(stub_->ListJobs(Context().get(), v1::ListJobsRequest(), &list).ok());
  EXPECT_EQ(list.jobs_size(), 0);
  // The service is still up for the next, good job.
  ASSERT_TRUE(Submit(Spec(kSmallJob), &job).ok());
  EXPECT_EQ(WatchToEnd(job.id()).state(), v1::SUCCEEDED);
}

TEST_F(CoordinatorTest, ARetriedSubmitWithTheSameRequestIdRunsOnce) {
  v1::Job first, second;
  ASSERT_TRUE(Submit(Spec(kSmallJob), &first, "req-42").ok());
  ASSERT_TRUE(Submit(Spec(kSmallJob), &second, "req-42").ok());
  EXPECT_EQ(first.id(), second.id());
  WatchToEnd(first.id());
  v1::ListJobsResponse list;
  ASSERT_TRUE(stub_->ListJobs(Context().get(), v1::ListJobsRequest(), &list).ok());
  EXPECT_EQ(list.jobs_size(), 1);
}

TEST_F(CoordinatorTest, TheHealthServiceReportsTheServerAndItsServicesServing) {
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  for (const std::string service : {"", "strata.v1.JobService", "strata.v1.ServiceRegistry"}) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(Context().get(), request, &response).ok()) << service;
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
}

TEST_F(CoordinatorTest, UnknownJobsAreNotFoundAndBadPagesInvalid) {
  v1::GetJobRequest get;
  get.set_id("job-nope");
  v1::Job job;
  EXPECT_EQ(stub_->GetJob(Context().get(), get, &job).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ListJobsRequest list;
  list.set_page_size(5000);
  v1::ListJobsResponse response;
  grpc::Status s = stub_->ListJobs(Context().get(), list, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("page_size = 5000; allowed: 1 to 1000"));
}

// Every RPC's latency lands in one histogram, by service, method and code.
TEST_F(CoordinatorTest, RpcLatencyIsExportedByMethodAndStatusCode) {
  v1::GetJobRequest get;
  get.set_id("job-nope");
  v1::Job job;
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(stub_->GetJob(Context().get(), get, &job).ok());
  v1::ListJobsResponse list;
  EXPECT_TRUE(stub_->ListJobs(Context().get(), v1::ListJobsRequest(), &list).ok());
  // The status is recorded as the call is destroyed, just after the client
  // has it: poll for up to a second.
  const std::string not_found =
      "strata_grpc_server_handling_seconds_count{grpc_code=\"NOT_FOUND\",grpc_method=\"GetJob\","
      "grpc_service=\"strata.v1.JobService\"} 2";
  const std::string ok =
      "strata_grpc_server_handling_seconds_count{grpc_code=\"OK\",grpc_method=\"ListJobs\","
      "grpc_service=\"strata.v1.JobService\"} 1";
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text = prometheus::TextSerializer().Serialize(registry_->Collect());
    if (text.find(not_found) != std::string::npos && text.find(ok) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_THAT(text, HasSubstr(not_found));
  EXPECT_THAT(text, HasSubstr(ok));
}

// A watch that ends by the client's deadline is recorded with the status
// the client saw, DEADLINE_EXCEEDED, not the OK the handler returns when
// its next Write fails.
TEST_F(CoordinatorTest, AWatchEndedByItsDeadlineIsRecordedAsDeadlineExceeded) {
  v1::Job job;
  ASSERT_TRUE(Submit(Spec(kLongJob), &job).ok());
  v1::WatchJobRequest request;
  request.set_id(job.id());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  auto reader = stub_->WatchJob(&context, request);
  v1::Job update;
  while (reader->Read(&update)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  const std::string expected =
      "strata_grpc_server_handling_seconds_count{grpc_code=\"DEADLINE_EXCEEDED\",grpc_method=\"WatchJob\","
      "grpc_service=\"strata.v1.JobService\"} 1";
  std::string text;
  for (int i = 0; i < 500; ++i) {  // the handler notices within its 1 s wait
    text = prometheus::TextSerializer().Serialize(registry_->Collect());
    if (text.find(expected) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_THAT(text, HasSubstr(expected));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("grpc_code=\"OK\",grpc_method=\"WatchJob\"")));
  v1::CancelJobRequest cancel;
  cancel.set_id(job.id());
  EXPECT_TRUE(stub_->CancelJob(Context().get(), cancel, &update).ok());
}

// A client may call any path; the method label stays bounded.
TEST_F(CoordinatorTest, RpcLatencyLabelsStayBoundedWhateverMethodsClientsCall) {
  grpc::GenericStub generic(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < partition::kMaxRpcMethods + 10; ++i) {
    grpc::ClientContext context;
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;
    const grpc::Status status =
        BlockingGenericCall(generic, &context, absl::StrCat("/made.Up/Method", i), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
  const std::string other =
      "strata_grpc_server_handling_seconds_count{grpc_code=\"UNIMPLEMENTED\",grpc_method=\"other\","
      "grpc_service=\"other\"} 10";
  std::string text;
  for (int i = 0; i < 100; ++i) {  // the last call is recorded as it is destroyed
    text = prometheus::TextSerializer().Serialize(registry_->Collect());
    if (text.find(other) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::set<std::string> methods;
  for (size_t at = 0; (at = text.find("grpc_method=\"", at)) != std::string::npos;) {
    at += 13;
    methods.insert(text.substr(at, text.find('"', at) - at));
  }
  EXPECT_LE(methods.size(), static_cast<size_t>(partition::kMaxRpcMethods) + 1);
  EXPECT_THAT(text, HasSubstr(other));
}

TEST_F(CoordinatorTest, ListingPagesNewestFirstAndFiltersByState) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    v1::Job job;
    ASSERT_TRUE(Submit(Spec(kSmallJob), &job).ok());
    ids.push_back(job.id());
  }
  for (const auto& id : ids) WatchToEnd(id);
  v1::ListJobsRequest request;
  request.set_page_size(2);
  v1::ListJobsResponse page1, page2;
  ASSERT_TRUE(stub_->ListJobs(Context().get(), request, &page1).ok());
  ASSERT_EQ(page1.jobs_size(), 2);
  EXPECT_EQ(page1.jobs(0).id(), ids[2]);
  ASSERT_FALSE(page1.next_page_token().empty());
  request.set_page_token(page1.next_page_token());
  ASSERT_TRUE(stub_->ListJobs(Context().get(), request, &page2).ok());
  ASSERT_EQ(page2.jobs_size(), 1);
  EXPECT_EQ(page2.jobs(0).id(), ids[0]);
  EXPECT_TRUE(page2.next_page_token().empty());
  v1::ListJobsRequest failed;
  failed.set_state(v1::FAILED);
  v1::ListJobsResponse none;
  ASSERT_TRUE(stub_->ListJobs(Context().get(), failed, &none).ok());
  EXPECT_EQ(none.jobs_size(), 0);
}

TEST_F(CoordinatorTest, CancellingARunningJobStopsIt) {
  v1::Job job;
  ASSERT_TRUE(Submit(Spec(kLongJob), &job).ok());
  WaitForState(job.id(), v1::RUNNING);
  v1::CancelJobRequest cancel;
  cancel.set_id(job.id());
  v1::Job response;
  ASSERT_TRUE(stub_->CancelJob(Context().get(), cancel, &response).ok());
  const v1::Job done = WatchToEnd(job.id());
  EXPECT_EQ(done.state(), v1::CANCELLED);
  EXPECT_THAT(done.error(), HasSubstr("cancelled"));
}

TEST_F(CoordinatorTest, ARestartedCoordinatorListsEveryJobAndFailsTheOneThatWasRunning) {
  v1::Job finished, running, queued;
  ASSERT_TRUE(Submit(Spec(kSmallJob), &finished).ok());
  WatchToEnd(finished.id());
  ASSERT_TRUE(Submit(Spec(kLongJob), &running).ok());
  WaitForState(running.id(), v1::RUNNING);
  ASSERT_TRUE(Submit(Spec(kSmallJob), &queued).ok());  // waits behind the long job
  server_->Shutdown();
  server_.reset();
  StartServer();
  // The finished job is still there; the one that was running failed with a
  // reason; the queued one runs now.
  EXPECT_EQ(WaitForState(finished.id(), v1::SUCCEEDED).state(), v1::SUCCEEDED);
  const v1::Job was_running = WaitForState(running.id(), v1::FAILED);
  EXPECT_EQ(was_running.state(), v1::FAILED);
  EXPECT_THAT(was_running.error(), HasSubstr("shutting down"));
  EXPECT_EQ(WatchToEnd(queued.id()).state(), v1::SUCCEEDED);
}

}  // namespace
}  // namespace strata::coordinator
