// strata-wire-floor-bench: the least a window can cost on this machine's
// loopback. One message each way per round trip, timed three ways: raw TCP
// between two threads, and a RunPartitions bidi stream (the kernel wire's
// RPC) with the synchronous and with the asynchronous (one completion-queue
// thread per end) gRPC API. A window through the coordinator's hub needs at
// least one such round trip per partition. Then the peer-to-peer window
// (ExchangeWindows, as PeerTransport does it) with 2 and 3 partitions: one
// message to every peer and one from every peer per round, with no
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
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "grpcpp/grpcpp.h"
#include "partition_server.h"
#include "strata/v1/partition_service.grpc.pb.h"

ABSL_FLAG(int, round_trips, 5000, "round trips per measurement");

namespace {

namespace v1 = strata::v1;
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
  auto stub = v1::PartitionService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
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
  auto stub = v1::PartitionService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
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

// Window exchange peer to peer (ExchangeWindows), n services in this
// process: every round each partition's own thread writes one PeerWindow to
// every peer's subscription and reads one from each of its own, the
// distributed window with no coordinator in between.
class PeerNode final : public v1::PartitionService::Service {
 public:
  grpc::Status ExchangeWindows(grpc::ServerContext*, const v1::PeerSubscribe* request,
                               grpc::ServerWriter<v1::PeerWindow>* writer) override {
    std::unique_lock<std::mutex> lock(mu_);
    writers_[request->subscriber()] = writer;
    cv_.notify_all();
    cv_.wait(lock, [&] { return done_; });
    return grpc::Status::OK;
  }
  std::map<uint32_t, grpc::ServerWriter<v1::PeerWindow>*> WaitForSubscribers(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return writers_.size() == n; });
    return writers_;
  }
  void Finish() {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint32_t, grpc::ServerWriter<v1::PeerWindow>*> writers_;
  bool done_ = false;
};

// Also gives the context switches per round, all threads of the process
// (what a window costs on a VM where a switch is dear).
double PeerWindowRound(int partitions, int n, double* switches) {
  std::vector<std::unique_ptr<PeerNode>> nodes;
  std::vector<std::unique_ptr<grpc::Server>> servers;
  std::vector<std::string> addresses;
  for (int p = 0; p < partitions; ++p) {
    nodes.push_back(std::make_unique<PeerNode>());
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(nodes.back().get());
    strata::partition::AddLatencyChannelArguments(builder);
    servers.push_back(builder.BuildAndStart());
    addresses.push_back("127.0.0.1:" + std::to_string(port));
  }
  std::vector<double> us(partitions, -1);
  std::vector<std::thread> threads;
  for (int p = 0; p < partitions; ++p) {
    threads.emplace_back([&, p] {
      struct Peer {
        std::unique_ptr<v1::PartitionService::Stub> stub;
        grpc::ClientContext context;
        std::unique_ptr<grpc::ClientReader<v1::PeerWindow>> reader;
      };
      std::vector<std::unique_ptr<Peer>> peers;
      for (int q = 0; q < partitions; ++q) {
        if (q == p) continue;
        auto peer = std::make_unique<Peer>();
        grpc::ChannelArguments args;
        strata::partition::AddLatencyChannelArguments(args);
        peer->stub = v1::PartitionService::NewStub(
            grpc::CreateCustomChannel(addresses[q], grpc::InsecureChannelCredentials(), args));
        v1::PeerSubscribe subscribe;
        subscribe.set_subscriber(p);
        peer->reader = peer->stub->ExchangeWindows(&peer->context, subscribe);
        peers.push_back(std::move(peer));
      }
      auto writers = nodes[p]->WaitForSubscribers(partitions - 1);
      v1::PeerWindow out, in;
      for (int i = 0; i < partitions; ++i) out.add_earliest_ps(i);
      auto round = [&] {
        for (auto& [q, writer] : writers) {
          if (!writer->Write(out)) return false;
        }
        for (auto& peer : peers) {
          if (!peer->reader->Read(&in)) return false;
        }
        return true;
      };
      if (!round()) return;
      rusage before;
      getrusage(RUSAGE_SELF, &before);
      const auto start = Clock::now();
      for (int i = 0; i < n; ++i) {
        if (!round()) return;
      }
      us[p] = MicrosecondsPer(start, n);
      rusage after;
      getrusage(RUSAGE_SELF, &after);
      if (p == 0) {
        *switches = static_cast<double>(after.ru_nvcsw - before.ru_nvcsw + after.ru_nivcsw - before.ru_nivcsw) / n;
      }
      nodes[p]->Finish();
      for (auto& peer : peers) {
        while (peer->reader->Read(&in)) {
        }
        peer->reader->Finish();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& server : servers) server->Shutdown();
  return *std::max_element(us.begin(), us.end());
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
  absl::SetProgramUsageMessage("strata-wire-floor-bench [--round_trips=N]");
  absl::ParseCommandLine(argc, argv);
  const int n = std::max(1, absl::GetFlag(FLAGS_round_trips));
  strata::partition::SelectPollingEngine();  // what strata's processes use; GRPC_POLL_STRATEGY overrides
  std::printf("gRPC polling engine: %s\n", std::getenv("GRPC_POLL_STRATEGY"));
  Print("raw TCP, two threads", TcpRoundTrip(n));
  {
    SyncEcho service;
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
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
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
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
  for (int partitions : {2, 3}) {
    const std::string what = "peer window, " + std::to_string(partitions) + " partitions";
    double switches = 0;
    Print(what.c_str(), PeerWindowRound(partitions, n, &switches));
    std::printf("%-44s %8.1f context switches per round\n", "", switches);
  }
  return 0;
}
