#include "service_main.h"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "partition_server.h"
#include "prometheus/exposer.h"
#include "strata/common/command_line.h"
#include "strata/common/rpc_security_flags.h"
#include "strata/v1/partition_service.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "gRPC listen address HOST:PORT (port 0: any free port)");
ABSL_FLAG(std::string, coordinator, "", "coordinator address HOST:PORT to register with (empty: do not register)");
ABSL_FLAG(std::string, advertise, "",
          "address the coordinator dials to reach this service (empty: --listen's host with the bound port)");
ABSL_FLAG(std::string, metrics_address, "", "serve Prometheus /metrics at HOST:PORT (empty: off)");
ABSL_FLAG(double, metrics_linger_seconds, 60,
          "keep a finished run's per-job series (sim_job) exported this long, then remove them (0: at once)");

namespace strata::partition {
namespace {

// Registers with the coordinator, then again every heartbeat, so a
// coordinator that restarts learns about this service within one interval.
class Registration {
 public:
  Registration(std::string coordinator, v1::ServiceRole role, std::string address)
      // With this process's certificate (mutual TLS) and its service token,
      // if any: the coordinator registers only service credentials.
      : stub_(v1::ServiceRegistry::NewStub(Dial(coordinator, ProcessRpcSecurity()))),
        coordinator_(std::move(coordinator)),
        role_(role),
        address_(std::move(address)),
        thread_([this] { Loop(); }) {}
  ~Registration() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Loop() {
    bool was_registered = false;
    for (;;) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      v1::RegisterServiceRequest request;
      request.set_role(role_);
      request.set_address(address_);
      v1::RegisterServiceResponse response;
      const grpc::Status status = stub_->RegisterService(&context, request, &response);
      auto wait = std::chrono::seconds(1);  // retry soon while the coordinator is unreachable
      if (status.ok()) {
        if (!was_registered) std::printf("registered with the coordinator at %s\n", coordinator_.c_str());
        was_registered = true;
        wait = std::chrono::seconds(std::max(1, response.heartbeat_seconds() / 2));
      } else if (was_registered) {
        std::printf("lost the coordinator at %s: %s\n", coordinator_.c_str(), status.error_message().c_str());
        was_registered = false;
      } else if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                 status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
        // Retrying will not help until the operator fixes the credential:
        // say why, and keep trying slowly.
        std::printf("the coordinator at %s refuses this service: %s\n", coordinator_.c_str(),
                    status.error_message().c_str());
        wait = std::chrono::seconds(10);
      }
      std::fflush(stdout);
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, wait, [&] { return stop_; })) return;
    }
  }

  std::unique_ptr<v1::ServiceRegistry::Stub> stub_;
  std::string coordinator_;
  v1::ServiceRole role_;
  std::string address_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int ServiceMain(int argc, char** argv, v1::ServiceRole role) {
  SelectPollingEngine();  // before any gRPC call
  // Block the stop signals before gRPC or civetweb start threads, so that
  // only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const std::string name = absl::StrCat("strata-", absl::AsciiStrToLower(v1::ServiceRole_Name(role)));
  ParseCommandLineOrExit(argc, argv, name, absl::StrCat(
      name, " [--listen=HOST:PORT] [--coordinator=HOST:PORT] [--advertise=HOST:PORT] [--metrics_address=HOST:PORT]\n",
      "Hosts the ", absl::AsciiStrToLower(v1::ServiceRole_Name(role)),
      " partitions of distributed strata jobs (strata.v1.PartitionService)."));

  PartitionServerOptions options;
  options.role = role;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  const double linger = absl::GetFlag(FLAGS_metrics_linger_seconds);
  if (!(linger >= 0 && linger <= 86400)) {
    std::fprintf(stderr, "%s: metrics_linger_seconds = %g; allowed: 0 to 86400\n", name.c_str(), linger);
    return 2;
  }
  options.metrics_linger = absl::Seconds(linger);
  auto security = RpcSecurityFromFlags();
  if (!security.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), std::string(security.status().message()).c_str());
    return 2;
  }
  SetProcessRpcSecurity(*security);  // peer streams and registration dial with it
  options.security = *security;
  options.allow_insecure_listen = AllowInsecureListenFlag();
  std::unique_ptr<prometheus::Exposer> exposer;
  if (!absl::GetFlag(FLAGS_metrics_address).empty()) {
    options.registry = std::make_shared<prometheus::Registry>();
    exposer = std::make_unique<prometheus::Exposer>(absl::GetFlag(FLAGS_metrics_address));
    exposer->RegisterCollectable(options.registry);
  }
  auto server = PartitionServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), std::string(server.status().message()).c_str());
    return 1;
  }
  std::string advertise = absl::GetFlag(FLAGS_advertise);
  if (advertise.empty()) {
    const std::string listen = options.listen_address;
    advertise = absl::StrCat(listen.substr(0, listen.rfind(':')), ":", (*server)->port());
  }
  std::printf("%s listening on port %d (advertised as %s)\n", name.c_str(), (*server)->port(), advertise.c_str());
  if (exposer) std::printf("%s metrics on port %d\n", name.c_str(), exposer->GetListeningPorts().front());
  std::fflush(stdout);
  std::unique_ptr<Registration> registration;
  if (!absl::GetFlag(FLAGS_coordinator).empty()) {
    registration = std::make_unique<Registration>(absl::GetFlag(FLAGS_coordinator), role, advertise);
  }
  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::printf("%s: signal %d, shutting down\n", name.c_str(), signal);
  std::fflush(stdout);
  registration.reset();
  (*server)->Shutdown();
  return 0;
}

}  // namespace strata::partition
