#include "partition_server.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_builder.h"
#include "services/systems/job/job_metrics.h"
#include "services/systems/job/metrics_linger.h"
#include "partition_set.h"
#include "peer_transport.h"
#include "remote_transport.h"
#include "rpc_metrics.h"
#include "strata/v1/partition_service.grpc.pb.h"

namespace strata::partition {
namespace {

using Stream = grpc::ServerReaderWriter<v1::FromPartitions, v1::ToPartitions>;

// The coordinator's messages for one partition set, read on their own
// thread: replies go to `on_reply`; `finish` and the end of the stream are
// waited for by the handler. When the stream ends, `on_end` aborts the
// local run (a blocked call returns).
class CoordinatorReader {
 public:
  CoordinatorReader(Stream* stream, std::function<void(const v1::KernelReply&)> on_reply,
                    std::function<void(const std::string&)> on_end)
      : stream_(stream), on_reply_(std::move(on_reply)), on_end_(std::move(on_end)), thread_([this] { Loop(); }) {}
  ~CoordinatorReader() { thread_.join(); }
  // The global final time, or nullopt if the stream ended first.
  std::optional<sim::SimTime> WaitForFinish() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return finish_.has_value() || ended_; });
    return finish_;
  }

 private:
  void Loop() {
    v1::ToPartitions in;
    while (stream_->Read(&in)) {
      if (in.has_reply()) {
        on_reply_(in.reply());
      } else if (in.has_finish()) {
        std::lock_guard<std::mutex> lock(mu_);
        finish_ = sim::SimTime::Picoseconds(in.finish().global_final_time_ps());
        cv_.notify_all();
      }
    }
    on_end_("the coordinator closed the stream");
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
    cv_.notify_all();
  }

  Stream* stream_;
  std::function<void(const v1::KernelReply&)> on_reply_;
  std::function<void(const std::string&)> on_end_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<sim::SimTime> finish_;
  bool ended_ = false;
  std::thread thread_;
};

// What LoadPartitions.peers asks for, checked: INVALID_ARGUMENT naming the
// field otherwise.
absl::Status CheckPeers(const v1::LoadPartitions& load) {
  if (load.peers().empty()) return absl::OkStatus();
  if (load.peers_size() != load.plan().partition_count()) {
    return absl::InvalidArgumentError(absl::StrCat("peers has ", load.peers_size(),
                                                   " addresses; allowed: one per partition (",
                                                   load.plan().partition_count(), ")"));
  }
  if (load.local_partitions_size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat("local_partitions has ", load.local_partitions_size(),
                                                   " entries; allowed with peers: exactly 1"));
  }
  if (load.sync() == v1::NULL_MESSAGE) {
    return absl::InvalidArgumentError("sync is NULL_MESSAGE; allowed with peers: WINDOW");
  }
  if (load.peer_session().empty()) return absl::InvalidArgumentError("peer_session is empty; allowed: any non-empty id");
  return absl::OkStatus();
}

class PartitionServiceImpl final : public PeerAcceptor::Service {
 public:
  PartitionServiceImpl(v1::ServiceRole role, std::string address, std::shared_ptr<prometheus::Registry> registry,
                       absl::Duration metrics_linger)
      : role_(role), address_(std::move(address)), registry_(std::move(registry)), metrics_linger_(metrics_linger) {}

  grpc::Status Describe(grpc::ServerContext*, const v1::DescribeRequest*, v1::DescribeResponse* response) override {
    response->set_role(role_);
    response->set_address(address_);
    response->set_running_partition_sets(running_.load());
    return grpc::Status::OK;
  }

  grpc::Status RunPartitions(grpc::ServerContext*, Stream* stream) override {
    v1::ToPartitions first;
    if (!stream->Read(&first)) return grpc::Status(grpc::StatusCode::CANCELLED, "the stream ended before load");
    if (!first.has_load()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the first message on the stream must be load");
    }
    const v1::LoadPartitions& load = first.load();
    ++running_;
    struct Running {
      std::atomic<uint32_t>& n;
      ~Running() { --n; }
    } running{running_};
    // Progress (monitor thread), kernel calls (partition threads) and the
    // handler all write: one at a time on a gRPC stream.
    std::mutex write_mu;
    auto write = [&](const v1::FromPartitions& m) {
      std::lock_guard<std::mutex> lock(write_mu);
      return stream->Write(m);
    };
    // This service's partitions' figures; the coordinator publishes the
    // job's (tokens, seconds per token). Kept for the linger when the run
    // ends, however it ends (declared before the run's objects, so after
    // they are gone).
    std::unique_ptr<systems::JobMetrics> metrics;
    if (registry_ && load.has_job()) {
      metrics = std::make_unique<systems::JobMetrics>(registry_, load.run_id(), systems::JobFigures::kPartitionsOnly);
    }
    struct LingerOnExit {
      systems::MetricsLinger& linger;
      std::unique_ptr<systems::JobMetrics>& metrics;
      ~LingerOnExit() { linger.Keep(std::move(metrics)); }
    } linger_on_exit{metrics_linger_, metrics};
    const auto tokens_total = static_cast<uint32_t>(load.job().workload().decode_tokens());
    auto progress = [&](const v1::PartitionsProgress& p, const std::vector<systems::ModelFigures>& model) {
      if (metrics) {
        metrics->Update(ToJobProgress(p, tokens_total));
        metrics->UpdateModel(model);
      }
      v1::FromPartitions out;
      *out.mutable_progress() = p;
      write(out);
    };
    const absl::Status peers_ok = CheckPeers(load);
    absl::StatusOr<std::unique_ptr<PartitionSet>> set =
        peers_ok.ok() ? PartitionSet::Load(load, progress) : absl::StatusOr<std::unique_ptr<PartitionSet>>(peers_ok);
    v1::FromPartitions loaded;
    if (!set.ok()) {
      loaded.mutable_loaded()->set_error(std::string(set.status().message()));
      write(loaded);
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(set.status().message()));
    }
    // Peer to peer: the session is registered before `loaded`, so it is
    // there when peers subscribe (after the coordinator's `start_peers`).
    std::shared_ptr<PeerTransport> peer;
    if (!load.peers().empty()) {
      const auto self = static_cast<sim::PartitionId>(load.local_partitions(0));
      peer = std::make_shared<PeerTransport>(
          load.peer_session(), self, std::vector<std::string>(load.peers().begin(), load.peers().end()),
          [&write, self](const std::string& reason) {
            v1::FromPartitions out;
            out.mutable_call()->set_partition(self);
            out.mutable_call()->set_abort(reason);
            write(out);
          },
          load.peer_star() ? PeerTransport::Topology::kStar : PeerTransport::Topology::kAllToAll);
      AddSession(peer);
    }
    struct Unregister {
      PartitionServiceImpl* service;
      const std::shared_ptr<PeerTransport>& peer;
      ~Unregister() {
        if (peer == nullptr) return;
        peer->Finish();
        service->RemoveSession(peer->session());
      }
    } unregister{this, peer};
    loaded.mutable_loaded()->set_ok(true);
    loaded.mutable_loaded()->set_components((*set)->components());
    write(loaded);

    absl::Status status;
    std::optional<RemoteTransport> remote;  // outlives the reader, which calls into it
    std::optional<CoordinatorReader> reader;
    if (peer != nullptr) {
      // Window sync peer to peer: the coordinator's stream carries only
      // `start_peers`, progress, aborts and the end of the run.
      v1::ToPartitions start;
      if (!stream->Read(&start) || !start.has_start_peers()) {
        status = absl::AbortedError("the coordinator ended the run before it started");
      }
      reader.emplace(stream, [](const v1::KernelReply&) {}, [peer](const std::string& r) { peer->AbortLocal(r); });
      if (status.ok()) status = peer->Connect(absl::FromChrono(kPeerConnectTimeout));
      if (status.ok()) status = (*set)->Run(*peer);
      if (status.ok() && peer->aborted()) status = absl::AbortedError(peer->abort_reason());
      peer->Finish();
    } else {
      // One partition here (the usual placement): its own thread reads its
      // replies while the run goes on; the reader thread starts after it.
      const bool direct = load.local_partitions_size() == 1;
      RemoteTransport& transport =
          remote.emplace(load.plan().partition_count(), write,
                         /*coalesce_sends=*/load.sync() != v1::NULL_MESSAGE,
                         direct ? std::function<bool(v1::ToPartitions*)>(
                                      [stream](v1::ToPartitions* in) { return stream->Read(in); })
                                : nullptr);
      auto start_reader = [&] {
        reader.emplace(
            stream, [&transport](const v1::KernelReply& r) { transport.OnReply(r); },
            [&transport](const std::string& r) { transport.AbortLocal(r); });
      };
      if (!direct) start_reader();
      status = (*set)->Run(transport);
      if (direct) start_reader();
      if (status.ok() && transport.aborted()) status = absl::AbortedError(transport.abort_reason());
    }
    if (metrics) metrics->UpdateModel((*set)->ModelSnapshots());  // the final figures
    v1::FromPartitions done;
    *done.mutable_done() = (*set)->Done(status);
    write(done);
    if (!status.ok()) {
      // The coordinator collects every service's `done`, then closes.
      reader->WaitForFinish();
      return grpc::Status(grpc::StatusCode::ABORTED, std::string(status.message()));
    }
    const auto global_final_time = reader->WaitForFinish();
    if (!global_final_time) return grpc::Status(grpc::StatusCode::CANCELLED, "the coordinator went away");
    v1::FromPartitions report;
    *report.mutable_report() = (*set)->Report(*global_final_time);
    write(report);
    return grpc::Status::OK;  // ~CoordinatorReader waits for the coordinator to close
  }

  // Peers open their streams after `start_peers`, which the coordinator
  // sends once every service loaded its run and registered the session:
  // PeerAcceptor never waits for one to appear.
  std::shared_ptr<PeerTransport> FindSession(const std::string& id) {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
  }

 private:
  static systems::JobProgress ToJobProgress(const v1::PartitionsProgress& p, uint32_t tokens_total) {
    systems::JobProgress out;
    out.kernel.wall_seconds = p.wall_seconds();
    out.kernel.simulated_time = sim::SimTime::Infinite();
    for (const auto& s : p.partitions()) {
      out.kernel.partitions.push_back(FromProto(s));
      out.kernel.committed_events += s.committed_events();
      out.kernel.simulated_time = std::min(out.kernel.simulated_time, sim::SimTime::Picoseconds(s.local_time_ps()));
    }
    out.tokens_done = p.tokens_done();
    out.tokens_total = tokens_total;
    return out;
  }

  // How long a partition waits for its peers to connect.
  static constexpr std::chrono::seconds kPeerConnectTimeout{10};

  void AddSession(std::shared_ptr<PeerTransport> peer) {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions_[peer->session()] = std::move(peer);
  }
  void RemoveSession(const std::string& id) {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    sessions_.erase(id);
  }

  const v1::ServiceRole role_;
  const std::string address_;
  std::mutex sessions_mu_;
  std::map<std::string, std::shared_ptr<PeerTransport>> sessions_;  // runs with peer exchange, by session
  std::shared_ptr<prometheus::Registry> registry_;
  systems::MetricsLinger metrics_linger_;
  std::atomic<uint32_t> running_{0};
};

}  // namespace

void SelectPollingEngine() { setenv("GRPC_POLL_STRATEGY", "poll", /*overwrite=*/0); }

grpc::ChannelArguments KernelWireChannelArguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  AddLatencyChannelArguments(args);
  return args;
}

std::shared_ptr<grpc::Channel> DialKernelWire(const std::string& address, const grpc::ChannelArguments& args) {
  RpcSecurity security = ProcessRpcSecurity();
  security.bearer_token.clear();
  if (security.ca_pem.empty() || security.service_name.empty()) return Dial(address, security, args);
  grpc::ChannelArguments named = args;
  named.SetSslTargetNameOverride(security.service_name);
  return Dial(address, security, named);
}

absl::StatusOr<std::unique_ptr<PartitionServer>> PartitionServer::Start(const PartitionServerOptions& options) {
  if (options.role == v1::SERVICE_ROLE_UNSPECIFIED) {
    return absl::InvalidArgumentError("role is unspecified; allowed: NAND, CONTROLLER, HOST");
  }
  if (absl::Status s = CheckListenAddress(options.listen_address, options.security, options.allow_insecure_listen);
      !s.ok()) {
    return s;
  }
  std::unique_ptr<PartitionServer> server(new PartitionServer());
  auto service = std::make_unique<PartitionServiceImpl>(options.role, options.listen_address, options.registry,
                                                        options.metrics_linger);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // With TLS, every client (the coordinator, peer services) shows a
  // certificate the CA signed: the wire carries whole job specs.
  builder.AddListeningPort(options.listen_address,
                           ServerCredentialsFor(options.security, ClientCertificates::kRequired), &server->port_);
  builder.RegisterService(service.get());
  builder.SetMaxReceiveMessageSize(-1);  // a window's batches can exceed the 4 MiB default
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, kKeepaliveTimeMs / 2);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  AddPeerStreamArguments(builder);  // this end of the peer streams reads too
  AddLatencyChannelArguments(builder);
  AddRpcMetrics(builder, options.registry);
  // Not frequently polled: the acceptor waits on it for new peer streams
  // only; the server's own threads poll the connections.
  auto peer_cq = builder.AddCompletionQueue(/*is_frequently_polled=*/false);
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on '", options.listen_address, "'"));
  }
  // The standard health service (grpc.health.v1): the server ("") and
  // PartitionService by name, NOT_SERVING from Shutdown on.
  server->server_->GetHealthCheckService()->SetServingStatus(v1::PartitionService::service_full_name(), true);
  PartitionServiceImpl* sessions = service.get();
  server->acceptor_ = std::make_unique<PeerAcceptor>(
      service.get(), std::move(peer_cq), [sessions](const std::string& id) { return sessions->FindSession(id); });
  server->service_ = std::move(service);
  return server;
}

void PartitionServer::Shutdown(absl::Duration deadline) {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ != nullptr) server_->GetHealthCheckService()->Shutdown();
  if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(deadline));
  if (acceptor_ != nullptr) acceptor_->Shutdown();
}

PartitionServer::~PartitionServer() { Shutdown(); }

}  // namespace strata::partition
