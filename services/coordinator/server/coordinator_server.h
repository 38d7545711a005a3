// CoordinatorServer: strata.v1.JobService and ServiceRegistry over gRPC,
// with the standard health and reflection services, on top of a
// JobManager, a JobStore and a ServiceDirectory.
// Used by the strata-coordinator binary and, in-process, by tests.
#ifndef STRATA_COORDINATOR_SERVER_COORDINATOR_SERVER_H_
#define STRATA_COORDINATOR_SERVER_COORDINATOR_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "prometheus/registry.h"
#include "distributed/service_directory.h"
#include "server/authenticator.h"
#include "server/job_manager.h"
#include "strata/common/rpc_security.h"
#include "store/job_store.h"

namespace strata::coordinator {

struct CoordinatorOptions {
  std::string listen_address = "127.0.0.1:7700";  // port 0: any free port
  std::string database = "strata-jobs.sqlite";
  int max_concurrent_jobs = 1;
  std::shared_ptr<prometheus::Registry> registry;  // may be null
  // How long a finished job's per-job series stay exported.
  absl::Duration metrics_linger = absl::Seconds(60);
  // Partition services listed by flag (--nand, --controller, --host);
  // more register themselves through ServiceRegistry.
  std::vector<ServiceEndpoint> services;
  // For this long after Start, distributed jobs wait for services to
  // register (queued jobs run at once after a restart; services re-register
  // within a heartbeat, kHeartbeatSeconds).
  absl::Duration service_grace = absl::Seconds(3 * ServiceDirectory::kHeartbeatSeconds);
  // TLS (docs/security.md): with a certificate the server speaks TLS, and
  // with a CA it verifies the client certificates callers send (optional:
  // users may send a bearer token instead). Empty: plaintext, and then
  // only a loopback listen address unless allow_insecure_listen.
  RpcSecurity security{};
  bool allow_insecure_listen = false;
  // Who may do what; auth.client_certificates is filled in from `security`.
  AuthOptions auth;
  // Jobs whose admission estimate is over these are refused at submit.
  systems::AdmissionLimits admission{};
};

class CoordinatorServer {
 public:
  static absl::StatusOr<std::unique_ptr<CoordinatorServer>> Start(const CoordinatorOptions& options);
  ~CoordinatorServer();
  int port() const { return port_; }
  // Stops accepting RPCs (in-flight ones get `deadline` to finish), fails
  // running jobs with a reason, and stops the workers.
  void Shutdown(absl::Duration deadline = absl::Seconds(2));

 private:
  CoordinatorServer() = default;
  std::unique_ptr<JobStore> store_;
  ServiceDirectory services_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<grpc::Service> registry_service_;
  std::unique_ptr<JobManager> manager_;
  std::unique_ptr<grpc::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_SERVER_COORDINATOR_SERVER_H_
