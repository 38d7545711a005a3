// Authentication and TLS end to end (docs/security.md): a CoordinatorServer
// and a PartitionServer on loopback ports, real gRPC channels, and
// certificates made with Debian's openssl at test time in a temp folder: a
// CA, the coordinator's server certificate, users' and a service's client
// certificates, and a rogue CA with a certificate of the same service name.
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "distributed/distributed_run.h"
#include "partition_server.h"
#include "server/coordinator_server.h"
#include "services/coordinator/job/job_runner.h"
#include "store/job_store.h"
#include "strata/common/rpc_security.h"
#include "strata/sim/digest.h"
#include "strata/v1/job_service.grpc.pb.h"
#include "strata/v1/partition_service.grpc.pb.h"
#include "tests/phold_load.h"

namespace strata::coordinator {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// The certificates of one test, in a folder of its own.
class TestCertificates {
 public:
  explicit TestCertificates(const std::string& dir) : dir_(dir) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // P-256 keys: quick to make; gRPC's TLS takes them like RSA ones.
    MakeCa("ca");
    MakeCa("rogue-ca");
    Issue("coordinator", "strata-coordinator", "ca");
    Issue("nand", "strata-nand", "ca");
    Issue("alice", "alice", "ca");
    Issue("rogue-nand", "strata-nand", "rogue-ca");  // the right name, the wrong CA
    // As deploy/k8s makes them: one name for every partition service, no address.
    Issue("service", "strata-service", "ca", "DNS:strata-service");
  }
  // The PEM contents of `name` (ca, nand, ...) as a process's RpcSecurity,
  // trusting `trust` (a CA's name; empty: none).
  RpcSecurity Security(const std::string& name, const std::string& trust) const {
    RpcSecurity s;
    if (!name.empty()) {
      s.cert_pem = Read(name + ".pem");
      s.key_pem = Read(name + ".key");
    }
    if (!trust.empty()) s.ca_pem = Read(trust + ".pem");
    return s;
  }
  std::string Path(const std::string& file) const { return dir_ + "/" + file; }

 private:
  void Run(const std::string& command) const {
    const std::string full = absl::StrCat("cd '", dir_, "' && ", command, " >/dev/null 2>>openssl.log");
    ASSERT_EQ(std::system(full.c_str()), 0) << "openssl failed (is Debian's openssl installed? scripts/setup.sh): "
                                            << full << "\n" << Read("openssl.log");
  }
  void MakeCa(const std::string& name) const {
    Run(absl::StrCat("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -keyout ",
                     name, ".key -out ", name, ".pem -subj /CN=", name));
  }
  // The default SAN lets a client dialling 127.0.0.1 or localhost check the server.
  void Issue(const std::string& name, const std::string& common_name, const std::string& ca,
             const std::string& san = "IP:127.0.0.1,DNS:localhost") const {
    std::ofstream(Path(name + ".ext")) << "subjectAltName=" << san << "\n";
    Run(absl::StrCat("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ", name,
                     ".key -out ", name, ".csr -subj /CN=", common_name));
    Run(absl::StrCat("openssl x509 -req -in ", name, ".csr -CA ", ca, ".pem -CAkey ", ca, ".key -CAcreateserial -days 2",
                     " -extfile ", name, ".ext -out ", name, ".pem"));
  }
  std::string Read(const std::string& file) const {
    std::ifstream in(Path(file));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::string dir_;
};

std::string TestDir(const std::string& what) {
  return absl::StrCat(::testing::TempDir(), "/auth_test_", what, "_",
                      ::testing::UnitTest::GetInstance()->current_test_info()->name(), "_", getpid());
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return c;
}

// About 40 s of wall time: still running when the test cancels it.
constexpr char kLongJob[] = R"pb(
  name: "long" model { catalog_name: "llama-2-70b" }
  workload { prompt_tokens: 8 decode_tokens: 100000 } system { in_memory {} })pb";

class AuthTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->Shutdown();
  }
  void Start(CoordinatorOptions o) {
    db_ = TestDir("db") + ".sqlite";
    fs::remove(db_);
    o.listen_address = "127.0.0.1:0";
    o.database = db_;
    auto server = CoordinatorServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  // TLS with the coordinator's certificate; "strata-nand" certificates are services.
  void StartWithMutualTls(const TestCertificates& certs) {
    CoordinatorOptions o;
    o.security = certs.Security("coordinator", "ca");
    o.auth.service_cert_names = {"strata-nand"};
    Start(o);
  }
  std::unique_ptr<v1::JobService::Stub> Jobs(const RpcSecurity& security, const std::string& host = "127.0.0.1") {
    return v1::JobService::NewStub(Dial(absl::StrCat(host, ":", server_->port()), security));
  }
  std::unique_ptr<v1::ServiceRegistry::Stub> Registry(const RpcSecurity& security) {
    return v1::ServiceRegistry::NewStub(Dial(absl::StrCat("127.0.0.1:", server_->port()), security));
  }
  static RpcSecurity Token(const std::string& token, RpcSecurity security = {}) {
    security.bearer_token = token;
    return security;
  }
  static grpc::Status Submit(v1::JobService::Stub& stub, v1::Job* job, const std::string& request_id = "") {
    v1::SubmitJobRequest request;
    *request.mutable_spec() = *ParseJobSpecText(kLongJob);
    request.set_request_id(request_id);
    return stub.SubmitJob(Context().get(), request, job);
  }
  static grpc::Status Register(v1::ServiceRegistry::Stub& stub) {
    v1::RegisterServiceRequest request;
    request.set_role(v1::NAND);
    request.set_address("127.0.0.1:1");
    v1::RegisterServiceResponse response;
    return stub.RegisterService(Context().get(), request, &response);
  }
  static std::vector<std::string> ListedIds(v1::JobService::Stub& stub) {
    v1::ListJobsResponse response;
    EXPECT_TRUE(stub.ListJobs(Context().get(), v1::ListJobsRequest(), &response).ok());
    std::vector<std::string> ids;
    for (const v1::Job& job : response.jobs()) ids.push_back(job.id());
    return ids;
  }
  // A token file: alice and bob are users, root an admin, nand a service.
  std::string TokenFile() {
    const std::string path = TestDir("tokens");
    std::ofstream(path) << "# token owner [role]\n"
                           "alice-token alice\n"
                           "bob-token bob   # a comment\n"
                           "root-token root admin\n"
                           "nand-token strata-nand service\n";
    return path;
  }

  std::string db_;
  std::unique_ptr<CoordinatorServer> server_;
};

TEST_F(AuthTest, WithoutAuthenticationEveryCallerIsTheAnonymousAdmin) {
  Start({});  // the laptop default: plaintext on loopback, no token file
  auto stub = Jobs({});
  v1::Job job;
  ASSERT_TRUE(Submit(*stub, &job).ok());
  EXPECT_EQ(job.owner(), "");
  EXPECT_THAT(ListedIds(*stub), ::testing::Contains(job.id()));
  EXPECT_TRUE(Register(*Registry({})).ok());
}

TEST_F(AuthTest, AnUnauthenticatedCallerIsRefusedWhenTokensAreOn) {
  CoordinatorOptions o;
  o.auth.token_file = TokenFile();
  Start(o);
  v1::Job job;
  grpc::Status none = Submit(*Jobs({}), &job);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(none.error_message(), HasSubstr("requires a credential"));
  EXPECT_THAT(none.error_message(), HasSubstr("Bearer"));
  v1::ListJobsResponse list;
  EXPECT_EQ(Jobs({})->ListJobs(Context().get(), {}, &list).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status unknown = Submit(*Jobs(Token("guessed")), &job);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(unknown.error_message(), HasSubstr("not one this coordinator knows"));
  ASSERT_TRUE(Submit(*Jobs(Token("alice-token")), &job).ok());
  EXPECT_EQ(job.owner(), "alice");
}

TEST_F(AuthTest, AUserSeesAndCancelsOnlyItsOwnJobsAndAnAdminAny) {
  CoordinatorOptions o;
  o.auth.token_file = TokenFile();
  Start(o);
  auto alice = Jobs(Token("alice-token"));
  auto bob = Jobs(Token("bob-token"));
  auto root = Jobs(Token("root-token"));
  v1::Job alices, bobs;
  ASSERT_TRUE(Submit(*alice, &alices, "retry-1").ok());
  // The same request id is each user's own: bob gets a new job of his.
  ASSERT_TRUE(Submit(*bob, &bobs, "retry-1").ok());
  EXPECT_NE(bobs.id(), alices.id());
  EXPECT_EQ(bobs.owner(), "bob");

  EXPECT_THAT(ListedIds(*bob), ::testing::ElementsAre(bobs.id()));
  EXPECT_THAT(ListedIds(*alice), ::testing::ElementsAre(alices.id()));
  EXPECT_THAT(ListedIds(*root), ::testing::UnorderedElementsAre(alices.id(), bobs.id()));

  v1::GetJobRequest get;
  get.set_id(alices.id());
  v1::Job seen;
  grpc::Status peek = bob->GetJob(Context().get(), get, &seen);
  EXPECT_EQ(peek.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(peek.error_message(), HasSubstr("belongs to another user"));
  v1::WatchJobRequest watch;
  watch.set_id(alices.id());
  auto watch_context = Context();
  auto reader = bob->WatchJob(watch_context.get(), watch);
  while (reader->Read(&seen)) ADD_FAILURE() << "bob watched alice's job";
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::CancelJobRequest cancel;
  cancel.set_id(alices.id());
  v1::Job after;
  EXPECT_EQ(bob->CancelJob(Context().get(), cancel, &after).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(alice->GetJob(Context().get(), get, &seen).ok());
  EXPECT_NE(seen.state(), v1::CANCELLED);  // bob's cancel did nothing

  // The admin sees and cancels it.
  ASSERT_TRUE(root->GetJob(Context().get(), get, &seen).ok());
  EXPECT_EQ(seen.owner(), "alice");
  ASSERT_TRUE(root->CancelJob(Context().get(), cancel, &after).ok());
  for (int i = 0; i < 200 && after.state() != v1::CANCELLED; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(alice->GetJob(Context().get(), get, &after).ok());
  }
  EXPECT_EQ(after.state(), v1::CANCELLED);
}

TEST_F(AuthTest, OnlyAServiceCredentialRegistersAService) {
  CoordinatorOptions o;
  o.auth.token_file = TokenFile();
  Start(o);
  EXPECT_EQ(Register(*Registry({})).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::Status user = Register(*Registry(Token("alice-token")));
  EXPECT_EQ(user.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(user.error_message(), HasSubstr("may not register services"));
  EXPECT_EQ(Register(*Registry(Token("root-token"))).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Register(*Registry(Token("nand-token"))).ok());
}

TEST_F(AuthTest, MutualTlsIdentifiesCallersByTheirCertificate) {
  TestCertificates certs(TestDir("certs"));
  StartWithMutualTls(certs);
  // A user's certificate: its common name owns the job.
  auto alice = Jobs(certs.Security("alice", "ca"));
  v1::Job job;
  ASSERT_TRUE(Submit(*alice, &job).ok());
  EXPECT_EQ(job.owner(), "alice");
  EXPECT_THAT(ListedIds(*alice), ::testing::ElementsAre(job.id()));
  // By name as well as by address (the certificate names both).
  EXPECT_TRUE(Submit(*Jobs(certs.Security("alice", "ca"), "localhost"), &job).ok());
  // TLS without a certificate or a token: UNAUTHENTICATED.
  grpc::Status anonymous = Submit(*Jobs(certs.Security("", "ca")), &job);
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // The service's certificate registers; a user's may not.
  EXPECT_TRUE(Register(*Registry(certs.Security("nand", "ca"))).ok());
  EXPECT_EQ(Register(*Registry(certs.Security("alice", "ca"))).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AuthTest, NoConnectionWithoutTheRightCa) {
  TestCertificates certs(TestDir("certs"));
  StartWithMutualTls(certs);
  v1::Job job;
  // Plaintext to a TLS server; TLS trusting another CA: no connection.
  EXPECT_EQ(Submit(*Jobs({}), &job).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Submit(*Jobs(certs.Security("alice", "rogue-ca")), &job).error_code(), grpc::StatusCode::UNAVAILABLE);
  // A rogue service: the right common name from another CA cannot even
  // connect, let alone register.
  EXPECT_EQ(Register(*Registry(certs.Security("rogue-nand", "ca"))).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(Register(*Registry(certs.Security("nand", "ca"))).ok());
}

TEST_F(AuthTest, APartitionServiceWithTlsServesOnlyClientsWithACertificateOfItsCa) {
  TestCertificates certs(TestDir("certs"));
  partition::PartitionServerOptions o;
  o.role = v1::NAND;
  o.security = certs.Security("nand", "ca");
  auto server = partition::PartitionServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  auto describe = [&](const RpcSecurity& security) {
    auto stub = v1::PartitionService::NewStub(Dial(absl::StrCat("127.0.0.1:", (*server)->port()), security));
    v1::DescribeResponse response;
    return stub->Describe(Context().get(), v1::DescribeRequest(), &response);
  };
  EXPECT_TRUE(describe(certs.Security("coordinator", "ca")).ok());
  EXPECT_FALSE(describe(certs.Security("", "ca")).ok());  // no client certificate
  EXPECT_FALSE(describe(certs.Security("rogue-nand", "ca")).ok());
  EXPECT_FALSE(describe({}).ok());
  (*server)->Shutdown();
}

// The kernel wire over mutual TLS: the coordinator's side dials three
// services that advertise addresses their certificate does not name, and
// checks the name deployments give them (--tls_service_name) instead. The
// digest is the one-process digest on every wire.
TEST_F(AuthTest, ADistributedRunOverMutualTlsGivesTheOneProcessDigest) {
  TestCertificates certs(TestDir("certs"));
  std::vector<std::unique_ptr<partition::PartitionServer>> servers;
  DistributedRunRequest request;
  v1::LoadPartitions load = partition::PholdLoad(3, v1::WINDOW, 200'000'000);
  load.set_run_id("auth-test");
  request.load = load;
  request.placement.plan.partition_count = load.plan().partition_count();
  request.placement.plan.partition_of.assign(load.plan().partition_of().begin(), load.plan().partition_of().end());
  request.components = static_cast<uint32_t>(load.plan().partition_of_size());
  for (int s = 0; s < 3; ++s) {
    partition::PartitionServerOptions o;
    o.security = certs.Security("service", "ca");
    auto server = partition::PartitionServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    request.placement.service.push_back({v1::HOST, absl::StrCat("127.0.0.1:", (*server)->port())});
    request.placement.groups.push_back({absl::StrCat("service ", s)});
    servers.push_back(std::move(*server));
  }
  const uint64_t embedded = partition::OneProcessDigest(load);

  RpcSecurity coordinator = certs.Security("coordinator", "ca");
  SetProcessRpcSecurity(coordinator);  // the address is not in the certificate: refused
  request.wire = DistributedRunRequest::Wire::kHub;
  EXPECT_FALSE(RunDistributed(request).ok());
  coordinator.service_name = "strata-service";
  SetProcessRpcSecurity(coordinator);
  for (auto wire : {DistributedRunRequest::Wire::kHub, DistributedRunRequest::Wire::kPeer}) {
    request.wire = wire;
    auto run = RunDistributed(request);
    ASSERT_TRUE(run.ok()) << run.status();
    EXPECT_EQ(sim::DigestToHex(run->digest), sim::DigestToHex(embedded));
  }
  SetProcessRpcSecurity({});
  for (auto& server : servers) server->Shutdown();
}

TEST_F(AuthTest, PlaintextListensOnlyOnLoopbackUnlessAllowed) {
  const RpcSecurity none;
  for (const char* ok : {"127.0.0.1:7700", "127.0.0.2:0", "localhost:7700", "[::1]:7700", "unix:/tmp/s"}) {
    EXPECT_TRUE(CheckListenAddress(ok, none, false).ok()) << ok;
  }
  for (const char* open : {"0.0.0.0:7700", "[::]:7700", ":7700", "10.1.2.3:7700", "strata:7700"}) {
    absl::Status s = CheckListenAddress(open, none, false);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << open;
    EXPECT_THAT(s.message(), HasSubstr("without TLS")) << open;
    EXPECT_TRUE(CheckListenAddress(open, none, true).ok()) << open;
  }
  RpcSecurity tls;
  tls.cert_pem = "-----BEGIN CERTIFICATE-----";
  EXPECT_TRUE(CheckListenAddress("0.0.0.0:7700", tls, false).ok());
  CoordinatorOptions o;
  o.listen_address = "0.0.0.0:0";
  o.database = ":memory:";
  EXPECT_EQ(CoordinatorServer::Start(o).status().code(), absl::StatusCode::kFailedPrecondition);
  // TLS without authentication: still refused beyond loopback.
  TestCertificates certs(TestDir("certs"));
  o.security = certs.Security("coordinator", "");
  absl::Status open = CoordinatorServer::Start(o).status();
  EXPECT_EQ(open.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(open.message(), HasSubstr("without authentication"));
}

TEST_F(AuthTest, TokenFileErrorsNameTheLine) {
  const std::string path = TestDir("bad_tokens");
  std::ofstream(path) << "good owner\nsecret bob superuser\n";
  AuthOptions options;
  options.token_file = path;
  auto auth = Authenticator::Create(options);
  ASSERT_FALSE(auth.ok());
  EXPECT_THAT(auth.status().message(), HasSubstr("line 2: role = 'superuser'; allowed: admin, service"));
  std::ofstream(path) << "same a\nsame b\n";
  EXPECT_THAT(Authenticator::Create(options).status().message(), HasSubstr("line 2: a token given twice"));
  auto missing = LoadRpcSecurity({"/nonexistent/cert.pem", "/nonexistent/key.pem", ""}, "");
  EXPECT_THAT(missing.status().message(), HasSubstr("tls_cert = '/nonexistent/cert.pem' cannot be read"));
  EXPECT_THAT(LoadRpcSecurity({"x.pem", "", ""}, "").status().message(), HasSubstr("tls_cert and tls_key go together"));
}

// A database from before jobs had owners opens, keeps its jobs (owned by
// nobody: only admins see them when authentication is on) and stores new
// owned jobs.
TEST_F(AuthTest, AJobStoreFromBeforeOwnersIsMigrated) {
  const std::string path = TestDir("old") + ".sqlite";
  fs::remove(path);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  v1::Job old;
  old.set_id("job-old");
  old.set_request_id("r");
  old.set_state(v1::SUCCEEDED);
  const std::string blob = old.SerializeAsString();
  const std::string sql = absl::StrCat(
      "CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, request_id TEXT, "
      "state INTEGER NOT NULL, job BLOB NOT NULL);"
      "CREATE UNIQUE INDEX jobs_request_unique ON jobs(request_id);"
      "INSERT INTO jobs (id, request_id, state, job) VALUES ('job-old', 'r', 3, x'",
      [&] {
        std::string hex;
        for (unsigned char c : blob) absl::StrAppend(&hex, absl::Hex(c, absl::kZeroPad2));
        return hex;
      }(),
      "');");
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  auto store = JobStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  int64_t next = 0;
  auto everyone = (*store)->List(v1::JOB_STATE_UNSPECIFIED, 10, 0, &next);
  ASSERT_TRUE(everyone.ok()) << everyone.status();
  ASSERT_EQ(everyone->size(), 1u);
  auto nobodys = (*store)->List(v1::JOB_STATE_UNSPECIFIED, 10, 0, &next, std::string(""));
  ASSERT_TRUE(nobodys.ok());
  EXPECT_EQ(nobodys->size(), 1u);
  EXPECT_TRUE((*store)->List(v1::JOB_STATE_UNSPECIFIED, 10, 0, &next, std::string("alice"))->empty());
  // alice may use the request id the old job used: request ids are per owner.
  v1::Job mine;
  mine.set_id("job-new");
  mine.set_request_id("r");
  mine.set_owner("alice");
  auto inserted = (*store)->InsertUnlessRequested(mine);
  ASSERT_TRUE(inserted.ok()) << inserted.status();
  EXPECT_FALSE(inserted->has_value());
  auto alices = (*store)->List(v1::JOB_STATE_UNSPECIFIED, 10, 0, &next, std::string("alice"));
  ASSERT_EQ(alices->size(), 1u);
  EXPECT_EQ(alices->front().id(), "job-new");
}

}  // namespace
}  // namespace strata::coordinator
