// strata-wire-floor-bench: the least a window can cost on this machine's
// loopback. One message each way per round trip, timed three ways: raw TCP
// between two threads, and a RunPartitions bidi stream (the kernel wire's
// RPC) with the synchronous and with the asynchronous (one completion-queue
// thread per end) gRPC API. A window through the coordinator's hub needs at
// least one such round trip per partition. Then the peer-to-peer window
// (PeerTransport itself) with 2 and 3 partitions, all to all and as a star:
// one message to every linked peer and one from each per round, with no
// coordinator. A bench prints figures; nothing here is a pass/fail test.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/usage.h"
#include "grpcpp/grpcpp.h"
#include "partition_server.h"
#include "peer_transport.h"
#include "strata/v1/partition_service.grpc.pb.h"
#include "strata/common/command_line.h"
#include "strata/common/rpc_security.h"

ABSL_FLAG(int, round_trips, 5000, "round trips per measurement");

namespace {

namespace v1 = strata::v1;

// The bench's servers: loopback, plaintext (the wire's floor, not TLS's).
std::shared_ptr<grpc::ServerCredentials> PlaintextLoopback() {
  return strata::ServerCredentialsFor(strata::RpcSecurity(), strata::ClientCertificates::kOptional);
}
using Clock = std::chrono::steady_clock;

double MicrosecondsPer(Clock::time_point start, int n) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / n;
}

// Raw TCP: a 32-byte message echoed by a thread, Nagle off on both ends.
double TcpRoundTrip(int n) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return -1;
  }
  const int one = 1;
  std::thread echo([&] {
    const int peer = accept(listener, nullptr, nullptr);
    setsockopt(peer, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char buffer[64];
    for (ssize_t got; (got = read(peer, buffer, sizeof buffer)) > 0;) {
      if (write(peer, buffer, static_cast<size_t>(got)) != got) break;
    }
    close(peer);
  });
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  double us = -1;
  if (connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char buffer[32] = {};
    const auto start = Clock::now();
    int i = 0;
    for (; i < n; ++i) {
      if (write(client, buffer, sizeof buffer) != sizeof buffer || read(client, buffer, sizeof buffer) <= 0) break;
    }
    if (i == n) us = MicrosecondsPer(start, n);
  }
  close(client);
  echo.join();
  close(listener);
  return us;
}

// The service end, synchronous API: answers every message.
class SyncEcho final : public v1::PartitionService::Service {
  grpc::Status RunPartitions(grpc::ServerContext*,
                             grpc::ServerReaderWriter<v1::FromPartitions, v1::ToPartitions>* stream) override {
    v1::ToPartitions in;
    v1::FromPartitions out;
    out.mutable_call()->set_partition(1);
    while (stream->Read(&in)) stream->Write(out);
    return grpc::Status::OK;
  }
};

// The service end, asynchronous API: one stream, served by the calling
// thread from its own completion queue until the client goes away.
void ServeOneAsyncStream(v1::PartitionService::AsyncService* service, grpc::ServerCompletionQueue* cq) {
  enum Tag : intptr_t { kStarted = 1, kRead, kWritten, kFinished };
  grpc::ServerContext context;
  grpc::ServerAsyncReaderWriter<v1::FromPartitions, v1::ToPartitions> stream(&context);
  service->RequestRunPartitions(&context, &stream, cq, cq, reinterpret_cast<void*>(kStarted));
  v1::ToPartitions in;
  v1::FromPartitions out;
  out.mutable_call()->set_partition(1);
  void* tag;
  bool ok;
  while (cq->Next(&tag, &ok)) {
    switch (reinterpret_cast<intptr_t>(tag)) {
      case kStarted:
      case kWritten: stream.Read(&in, reinterpret_cast<void*>(kRead)); break;
      case kRead:
        if (ok) {
          stream.Write(out, reinterpret_cast<void*>(kWritten));
        } else {
          stream.Finish(grpc::Status::OK, reinterpret_cast<void*>(kFinished));
        }
        break;
      case kFinished: return;
    }
  }
}

v1::ToPartitions Message() {
  v1::ToPartitions m;
  m.mutable_finish()->set_global_final_time_ps(1);
  return m;
}

double SyncClientRoundTrip(const std::string& address, int n) {
  auto stub = v1::PartitionService::NewStub(strata::Dial(address, strata::RpcSecurity()));
  grpc::ClientContext context;
  auto stream = stub->RunPartitions(&context);
  const v1::ToPartitions m = Message();
  v1::FromPartitions reply;
  if (!stream->Write(m) || !stream->Read(&reply)) return -1;  // warm-up: connection and stream set up
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    if (!stream->Write(m) || !stream->Read(&reply)) return -1;
  }
  const double us = MicrosecondsPer(start, n);
  stream->WritesDone();
  stream->Finish();
  return us;
}

double AsyncClientRoundTrip(const std::string& address, int n) {
  auto stub = v1::PartitionService::NewStub(strata::Dial(address, strata::RpcSecurity()));
  grpc::ClientContext context;
  grpc::CompletionQueue cq;
  void* tag;
  bool ok = false;
  auto stream = stub->AsyncRunPartitions(&context, &cq, nullptr);
  const v1::ToPartitions m = Message();
  v1::FromPartitions reply;
  auto round_trip = [&] {  // write and read outstanding together; both must complete
    stream->Write(m, nullptr);
    stream->Read(&reply, nullptr);
    bool all_ok = true;
    for (int done = 0; done < 2 && cq.Next(&tag, &ok); ++done) all_ok = all_ok && ok;
    return all_ok;
  };
  double us = -1;
  if (cq.Next(&tag, &ok) && ok && round_trip()) {
    const auto start = Clock::now();
    int i = 0;
    while (i < n && round_trip()) ++i;
    if (i == n) us = MicrosecondsPer(start, n);
  }
  stream->WritesDone(nullptr);
  cq.Next(&tag, &ok);
  grpc::Status status;
  stream->Finish(&status, nullptr);
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return us;
}

// PeerTransport's window, n partitions in this process, each with a server
// of its own (a PeerAcceptor, as strata services have): every round each
// partition's own thread runs AllReduceMin, which exchanges one PeerWindow
// with every linked peer. Also gives the context switches per round, all
// threads of the process (what a window costs on a VM where a switch is
// dear).
double PeerWindowRound(int partitions, strata::partition::PeerTransport::Topology topology, int n,
                       double* switches) {
  using strata::partition::PeerAcceptor;
  using strata::partition::PeerTransport;
  std::vector<std::unique_ptr<PeerAcceptor::Service>> services;
  std::vector<std::unique_ptr<grpc::Server>> servers;
  std::vector<std::unique_ptr<PeerAcceptor>> acceptors;
  std::vector<std::shared_ptr<PeerTransport>> transports(partitions);
  std::vector<std::string> addresses;
  for (int p = 0; p < partitions; ++p) {
    services.push_back(std::make_unique<PeerAcceptor::Service>());
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", PlaintextLoopback(), &port);
    builder.RegisterService(services.back().get());
    strata::partition::AddPeerStreamArguments(builder);
    strata::partition::AddLatencyChannelArguments(builder);
    auto cq = builder.AddCompletionQueue(/*is_frequently_polled=*/false);
    servers.push_back(builder.BuildAndStart());
    acceptors.push_back(std::make_unique<PeerAcceptor>(services.back().get(), std::move(cq),
                                                       [&transports, p](const std::string&) { return transports[p]; }));
    addresses.push_back("127.0.0.1:" + std::to_string(port));
  }
  for (int p = 0; p < partitions; ++p) {
    transports[p] = std::make_shared<PeerTransport>("bench", static_cast<strata::sim::PartitionId>(p), addresses,
                                                    nullptr, topology);
  }
  std::vector<double> us(partitions, -1);
  std::vector<std::thread> threads;
  for (int p = 0; p < partitions; ++p) {
    threads.emplace_back([&, p] {
      PeerTransport& transport = *transports[p];
      if (!transport.Connect(absl::Seconds(10)).ok()) return;
      const std::vector<strata::sim::SimTime> values(partitions, strata::sim::SimTime::Picoseconds(p));
      if (!transport.AllReduceMin(p, values)) return;  // warm-up
      rusage before;
      getrusage(RUSAGE_SELF, &before);
      const auto start = Clock::now();
      for (int i = 0; i < n; ++i) {
        if (!transport.AllReduceMin(p, values)) return;
      }
      us[p] = MicrosecondsPer(start, n);
      rusage after;
      getrusage(RUSAGE_SELF, &after);
      if (p == 0) {
        *switches = static_cast<double>(after.ru_nvcsw - before.ru_nvcsw + after.ru_nivcsw - before.ru_nivcsw) / n;
      }
      transport.Finish();
    });
  }
  for (auto& t : threads) t.join();
  transports.clear();
  for (auto& server : servers) server->Shutdown();
  for (auto& acceptor : acceptors) acceptor->Shutdown();
  return *std::min_element(us.begin(), us.end()) < 0 ? -1 : *std::max_element(us.begin(), us.end());
}

void Print(const char* what, double us) {
  if (us < 0) {
    std::printf("%-44s failed\n", what);
  } else {
    std::printf("%-44s %8.1f us per round trip\n", what, us);
  }
}

}  // namespace

int main(int argc, char** argv) {
  strata::ParseCommandLineOrExit(argc, argv, "strata-wire-floor-bench", "strata-wire-floor-bench [--round_trips=N]");
  const int n = std::max(1, absl::GetFlag(FLAGS_round_trips));
  strata::partition::SelectPollingEngine();  // what strata's processes use; GRPC_POLL_STRATEGY overrides
  std::printf("gRPC polling engine: %s\n", std::getenv("GRPC_POLL_STRATEGY"));
  Print("raw TCP, two threads", TcpRoundTrip(n));
  {
    SyncEcho service;
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", PlaintextLoopback(), &port);
    builder.RegisterService(&service);
    auto server = builder.BuildAndStart();
    const std::string address = "127.0.0.1:" + std::to_string(port);
    Print("gRPC stream, sync client, sync server", SyncClientRoundTrip(address, n));
    Print("gRPC stream, async client, sync server", AsyncClientRoundTrip(address, n));
    server->Shutdown();
  }
  {
    v1::PartitionService::AsyncService service;
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", PlaintextLoopback(), &port);
    builder.RegisterService(&service);
    auto cq = builder.AddCompletionQueue();
    auto server = builder.BuildAndStart();
    const std::string address = "127.0.0.1:" + std::to_string(port);
    std::thread serve([&] { ServeOneAsyncStream(&service, cq.get()); });
    Print("gRPC stream, sync client, async server", SyncClientRoundTrip(address, n));
    serve.join();
    serve = std::thread([&] { ServeOneAsyncStream(&service, cq.get()); });
    Print("gRPC stream, async client, async server", AsyncClientRoundTrip(address, n));
    serve.join();
    server->Shutdown();
    cq->Shutdown();
    void* tag;
    bool ok;
    while (cq->Next(&tag, &ok)) {
    }
  }
  using Topology = strata::partition::PeerTransport::Topology;
  for (auto [partitions, topology] : {std::pair{2, Topology::kAllToAll}, std::pair{3, Topology::kAllToAll},
                                      std::pair{3, Topology::kStar}}) {
    const std::string what = "peer window, " + std::to_string(partitions) + " partitions" +
                             (topology == Topology::kStar ? ", star" : ", all to all");
    double switches = 0;
    Print(what.c_str(), PeerWindowRound(partitions, topology, n, &switches));
    std::printf("%-44s %8.1f context switches per round\n", "", switches);
  }
  return 0;
}
