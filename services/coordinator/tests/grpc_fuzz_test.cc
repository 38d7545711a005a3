// A bounded fuzz pass over the coordinator's request handlers through a real
// in-process server and channel (fuzz/ has the libFuzzer targets for spec
// parsing and the partition wire): SubmitJob, GetJob, CancelJob and ListJobs
// with random and malformed fields, as typed requests and as raw bytes
// (mutated protobuf encodings the server must parse itself). Every call must
// come back within its deadline with a status, every error with a message,
// and the server must still run a job afterwards.
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "server/coordinator_server.h"
#include "tests/generic_call.h"
#include "services/coordinator/job/job_runner.h"
#include "strata/v1/job_service.grpc.pb.h"

namespace strata::coordinator {
namespace {

std::string RandomBytes(std::mt19937_64& rng, size_t max) {
  std::string s(rng() % (max + 1), '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// A string field's value: empty, a plausible id, random bytes (often invalid
// UTF-8) or a long run.
std::string RandomField(std::mt19937_64& rng, const std::string& plausible) {
  switch (rng() % 4) {
    case 0: return "";
    case 1: return plausible;
    case 2: return RandomBytes(rng, 64);
    default: return std::string(1 + rng() % 20000, static_cast<char>('a' + rng() % 26));
  }
}

std::string Mutate(std::string s, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits; ++i) {
    const size_t at = s.empty() ? 0 : rng() % s.size();
    switch (rng() % 3) {
      case 0: if (!s.empty()) s[at] = static_cast<char>(rng()); break;
      case 1: s.resize(at); break;
      default: s.insert(at, RandomBytes(rng, 8)); break;
    }
  }
  return s;
}

TEST(GrpcFuzzTest, RandomAndMalformedRequestsAlwaysGetAStatusAndTheServerKeepsRunning) {
  const std::string db = ::testing::TempDir() + "/grpc_fuzz_test_" + std::to_string(getpid()) + ".sqlite";
  std::filesystem::remove(db);
  CoordinatorOptions o;
  o.listen_address = "127.0.0.1:0";
  o.database = db;
  o.admission = {/*max_job_memory_gib=*/1, /*max_job_events=*/1e6};
  auto server = CoordinatorServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string((*server)->port()), grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);

  std::vector<std::string> specs;  // every config, serialised
  for (const auto& entry : std::filesystem::directory_iterator(std::string(STRATA_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".textproto") continue;
    if (auto spec = LoadJobSpec(entry.path().string()); spec.ok()) specs.push_back(spec->SerializeAsString());
  }
  ASSERT_FALSE(specs.empty());

  std::mt19937_64 rng(1717);
  std::vector<std::string> ids = {"job-0"};
  int calls = 0, ok_calls = 0, malformed = 0;
  const char* kMethods[] = {"SubmitJob", "GetJob", "CancelJob", "ListJobs"};
  for (int i = 0; i < 1500; ++i) {
    const int method = static_cast<int>(rng() % 4);
    const std::string& known_id = ids[rng() % ids.size()];
    std::string body;
    switch (method) {
      case 0: {
        v1::SubmitJobRequest r;
        r.mutable_spec()->ParseFromString(specs[rng() % specs.size()]);
        r.mutable_spec()->set_name(RandomField(rng, "fuzz"));
        r.set_request_id(RandomField(rng, absl::StrCat("req-", rng() % 50)));
        body = r.SerializeAsString();
        break;
      }
      case 1: case 2: {
        v1::GetJobRequest r;  // CancelJobRequest has the same one field
        r.set_id(RandomField(rng, known_id));
        body = r.SerializeAsString();
        break;
      }
      default: {
        v1::ListJobsRequest r;
        r.set_state(static_cast<v1::JobState>(static_cast<int>(rng() % 20) - 5));
        const int32_t sizes[] = {0, 1, 1000, 1001, -1, std::numeric_limits<int32_t>::max(),
                                 std::numeric_limits<int32_t>::min()};
        r.set_page_size(sizes[rng() % 7]);
        r.set_page_token(RandomField(rng, "50"));
        body = r.SerializeAsString();
      }
    }
    const bool mangled = rng() % 2 == 0;
    if (mangled) {  // a malformed encoding of it
      body = Mutate(body, rng);
      ++malformed;
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice slice(body);
    grpc::ByteBuffer request(&slice, 1), response;
    const grpc::Status status = BlockingGenericCall(
        generic, &context, absl::StrCat("/strata.v1.JobService/", kMethods[method]), request, &response);
    ++calls;
    const std::string what = absl::StrCat("call ", i, " ", kMethods[method], mangled ? " (mangled)" : "", ": code ", status.error_code(), " '",
                                          status.error_message().substr(0, 200), "'");
    EXPECT_NE(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << what;
    EXPECT_NE(status.error_code(), grpc::StatusCode::UNAVAILABLE) << what;
    EXPECT_NE(status.error_code(), grpc::StatusCode::UNKNOWN) << what;
    if (!status.ok()) {
      EXPECT_FALSE(status.error_message().empty()) << what;
      continue;
    }
    ++ok_calls;
    if (method == 0) {  // accepted: remember it, and cancel it so the queue stays short
      std::vector<grpc::Slice> slices;
      ASSERT_TRUE(response.Dump(&slices).ok());
      std::string bytes;
      for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      v1::Job job;
      ASSERT_TRUE(job.ParseFromString(bytes));
      ids.push_back(job.id());
      auto stub = v1::JobService::NewStub(channel);
      grpc::ClientContext cancel_context;
      v1::CancelJobRequest cancel;
      cancel.set_id(job.id());
      v1::Job update;
      EXPECT_TRUE(stub->CancelJob(&cancel_context, cancel, &update).ok());
    }
  }
  std::printf("gRPC fuzz: %d calls (%d malformed encodings), %d OK\n", calls, malformed, ok_calls);

  // The service still runs a job.
  auto stub = v1::JobService::NewStub(channel);
  v1::SubmitJobRequest submit;
  *submit.mutable_spec() = *ParseJobSpecText(
      R"pb(name: "tiny" model { custom { name: "tiny" layers: 1 hidden: 64 ffn: 128 heads: 2 vocab: 256 } }
           workload { prompt_tokens: 4 decode_tokens: 1 } system { in_memory {} })pb");
  v1::Job job;
  {
    grpc::ClientContext c;
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    const grpc::Status s = stub->SubmitJob(&c, submit, &job);
    ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  }
  for (int i = 0; i < 300 && job.state() != v1::SUCCEEDED && job.state() != v1::FAILED; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    grpc::ClientContext c;
    v1::GetJobRequest get;
    get.set_id(job.id());
    ASSERT_TRUE(stub->GetJob(&c, get, &job).ok());
  }
  EXPECT_EQ(job.state(), v1::SUCCEEDED) << job.error();
  (*server)->Shutdown();
  std::filesystem::remove(db);
}

}  // namespace
}  // namespace strata::coordinator
