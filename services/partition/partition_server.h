// PartitionServer: strata.v1.PartitionService over gRPC, with the standard
// health and reflection services. Every service binary (strata-nand,
// strata-controller, strata-host) is one of these with its role; tests and
// benches start them in-process on port 0.
#ifndef STRATA_PARTITION_PARTITION_SERVER_H_
#define STRATA_PARTITION_PARTITION_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "grpcpp/support/channel_arguments.h"
#include "grpc/grpc.h"
#include "prometheus/registry.h"
#include "strata/common/rpc_security.h"
#include "strata/v1/partition_service.pb.h"

namespace strata::partition {

struct PartitionServerOptions {
  v1::ServiceRole role = v1::HOST;
  std::string listen_address = "127.0.0.1:0";  // port 0: any free port
  std::shared_ptr<prometheus::Registry> registry;  // may be null: no metrics
  // How long a finished run's per-job series stay exported.
  absl::Duration metrics_linger = absl::Seconds(60);
  // TLS (docs/security.md); empty: plaintext, then only on a loopback
  // address unless allow_insecure_listen.
  RpcSecurity security{};
  bool allow_insecure_listen = false;
};

// Every strata process calls this before its first gRPC call: it picks
// gRPC's "poll" polling engine unless GRPC_POLL_STRATEGY already names one.
// Why: with the default epoll1 engine every thread that waits on gRPC polls
// one shared epoll set, so a message is often picked up by some other gRPC
// thread and handed to the one waiting for it, one more wake-up per
// message; "poll" polls each completion queue's own descriptors. Measured
// on the 2-core project machine: a RunPartitions round trip 81 -> 57 us
// (strata-wire-floor-bench); NVLLM LLaMA-2-7B over three service processes
// 34 k -> 62 k events/s and PHOLD on two 39% -> 53% of threaded
// (strata-distributed-bench --services=...). poll() scales worse with
// thousands of connections; a strata process has a handful.
void SelectPollingEngine();

// Keepalive both ways: a peer that stops answering (a stopped process, a
// cut cable) breaks the stream within about keepalive time + timeout.
inline constexpr int kKeepaliveTimeMs = 1000;
inline constexpr int kKeepaliveTimeoutMs = 2000;

// The kernel wire is a chain of small request/reply messages (one round
// trip per window): ask gRPC to favour latency over throughput and to skip
// the filters the wire does not use (deadlines, compression, census).
// Used on both ends (server builder, coordinator's channel arguments).
template <typename Args>
void AddLatencyChannelArguments(Args& args) {
  if constexpr (requires { args.AddChannelArgument(GRPC_ARG_MINIMAL_STACK, 1); }) {
    args.AddChannelArgument(GRPC_ARG_MINIMAL_STACK, 1);
    args.AddChannelArgument(GRPC_ARG_OPTIMIZATION_TARGET, std::string("latency"));
  } else {
    args.SetInt(GRPC_ARG_MINIMAL_STACK, 1);
    args.SetString(GRPC_ARG_OPTIMIZATION_TARGET, "latency");
  }
}

// The arguments of a channel that carries the kernel wire to a partition
// service (the coordinator's, and the services' to each other): no limit
// on a message (a window's batches can exceed the 4 MiB default),
// keepalive both ways, latency first, and a connection of its own per
// channel. Why the last: channels with equal arguments otherwise share one
// from a process-wide pool, and when the previous run's was closing, a new
// run's streams failed with "Socket closed" (docs/distributed.md).
grpc::ChannelArguments KernelWireChannelArguments();

// The credentials of the kernel wire between strata processes (the
// coordinator to its services, the services to each other): this
// process's TLS certificate and CA (ProcessRpcSecurity), checking the
// service's certificate for RpcSecurity::service_name when set; never its
// bearer token, which is for the coordinator's own API.
std::shared_ptr<grpc::Channel> DialKernelWire(const std::string& address, const grpc::ChannelArguments& args);

class PeerAcceptor;

class PartitionServer {
 public:
  static absl::StatusOr<std::unique_ptr<PartitionServer>> Start(const PartitionServerOptions& options);
  ~PartitionServer();
  int port() const { return port_; }
  // Stops accepting streams; running partition sets get `deadline`, then
  // their streams are cancelled (their runs abort and the coordinator
  // fails the jobs with a reason).
  void Shutdown(absl::Duration deadline = absl::Seconds(1));

 private:
  PartitionServer() = default;
  std::unique_ptr<grpc::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<PeerAcceptor> acceptor_;  // after server_: shut down after it
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace strata::partition

#endif  // STRATA_PARTITION_PARTITION_SERVER_H_
