// strata-coordinator: the job service. Keeps jobs in SQLite, runs them,
// serves JobService, ServiceRegistry, health and reflection over gRPC and
// /metrics over HTTP. Distributed jobs run on the nand, controller and host
// services that register (or are listed with --nand/--controller/--host).
// SIGTERM or SIGINT: stop accepting work, fail running jobs with a reason,
// exit 0.
#include <csignal>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "prometheus/exposer.h"
#include "partition_server.h"
#include "server/coordinator_server.h"
#include "strata/common/command_line.h"
#include "strata/common/rpc_security_flags.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7700", "gRPC listen address (port 0: any free port)");
ABSL_FLAG(std::string, db, "strata-jobs.sqlite", "SQLite file for jobs and results");
ABSL_FLAG(int, max_concurrent_jobs, 1, "jobs run at once, 1 to 64");
ABSL_FLAG(std::string, metrics_address, "", "serve Prometheus /metrics at HOST:PORT (empty: off)");
ABSL_FLAG(double, metrics_linger_seconds, 60,
          "keep a finished job's per-job series (sim_job) exported this long, then remove them (0: at once); "
          "longer than Prometheus' scrape interval, so its final figures are scraped");
ABSL_FLAG(std::vector<std::string>, nand, {}, "nand services HOST:PORT,... for distributed jobs (more may register)");
ABSL_FLAG(std::vector<std::string>, controller, {}, "controller services HOST:PORT,... for distributed jobs");
ABSL_FLAG(std::vector<std::string>, host, {}, "host services HOST:PORT,... for distributed jobs");
// Defaults (docs/admission.md): 8 GiB is the 2^25-block NAND cap's ~1 GiB
// many times over, and leaves room on a 16 GiB laptop; 5e10 events is about
// seven hours at the dry run's 2e6 events/s.
ABSL_FLAG(double, max_job_memory_gib, 8,
          "refuse jobs whose estimated peak memory is over this, GiB (0: no limit; docs/admission.md)");
ABSL_FLAG(double, max_job_events, 5e10,
          "refuse jobs whose estimated event count is over this (0: no limit; docs/admission.md)");
ABSL_FLAG(int, service_grace_seconds, 15,
          "after a start, distributed jobs wait up to this long for services to register (0 to 600; they "
          "register every 5 s)");
ABSL_FLAG(std::string, auth_token_file, "",
          "turn authentication on: a file of lines 'token owner [admin|service]' (docs/security.md); callers send "
          "'authorization: Bearer <token>' (empty: no tokens; with --tls_ca, client certificates still identify "
          "callers)");
ABSL_FLAG(std::vector<std::string>, admin_cert_names, {},
          "client-certificate common names that are admins (see and cancel every job)");
ABSL_FLAG(std::vector<std::string>, service_cert_names, {},
          "client-certificate common names that may register partition services");

int main(int argc, char** argv) {
  strata::partition::SelectPollingEngine();  // before any gRPC call
  // Block the stop signals before gRPC or civetweb start threads, so that
  // only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  strata::ParseCommandLineOrExit(argc, argv, "strata-coordinator",
                                 "strata-coordinator [--listen=HOST:PORT] [--db=FILE] [--metrics_address=HOST:PORT]\n"
                                 "The strata job service: jobs over gRPC (strata.v1.JobService), kept in SQLite.");
  const int concurrent = absl::GetFlag(FLAGS_max_concurrent_jobs);
  if (concurrent < 1 || concurrent > 64) {
    std::fprintf(stderr, "strata-coordinator: max_concurrent_jobs = %d; allowed: 1 to 64\n", concurrent);
    return 2;
  }
  const int grace = absl::GetFlag(FLAGS_service_grace_seconds);
  if (grace < 0 || grace > 600) {
    std::fprintf(stderr, "strata-coordinator: service_grace_seconds = %d; allowed: 0 to 600\n", grace);
    return 2;
  }
  const double max_memory = absl::GetFlag(FLAGS_max_job_memory_gib);
  const double max_events = absl::GetFlag(FLAGS_max_job_events);
  if (!(max_memory >= 0 && max_memory <= 1e6) || !(max_events >= 0 && max_events <= 1e18)) {
    std::fprintf(stderr,
                 "strata-coordinator: max_job_memory_gib = %g, max_job_events = %g; allowed: 0 (no limit) to 1e6 "
                 "GiB and 0 to 1e18 events\n",
                 max_memory, max_events);
    return 2;
  }
  strata::coordinator::CoordinatorOptions options;
  options.service_grace = absl::Seconds(grace);
  options.admission = {max_memory, max_events};
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.database = absl::GetFlag(FLAGS_db);
  options.max_concurrent_jobs = concurrent;
  auto security = strata::RpcSecurityFromFlags();
  if (!security.ok()) {
    std::fprintf(stderr, "strata-coordinator: %s\n", std::string(security.status().message()).c_str());
    return 2;
  }
  strata::SetProcessRpcSecurity(*security);  // the coordinator dials its services with it
  options.security = *security;
  options.allow_insecure_listen = strata::AllowInsecureListenFlag();
  options.auth.token_file = absl::GetFlag(FLAGS_auth_token_file);
  options.auth.admin_cert_names = absl::GetFlag(FLAGS_admin_cert_names);
  options.auth.service_cert_names = absl::GetFlag(FLAGS_service_cert_names);
  const double linger = absl::GetFlag(FLAGS_metrics_linger_seconds);
  if (!(linger >= 0 && linger <= 86400)) {
    std::fprintf(stderr, "strata-coordinator: metrics_linger_seconds = %g; allowed: 0 to 86400\n", linger);
    return 2;
  }
  options.metrics_linger = absl::Seconds(linger);
  for (const auto& [role, addresses] : {std::pair{strata::v1::NAND, absl::GetFlag(FLAGS_nand)},
                                        std::pair{strata::v1::CONTROLLER, absl::GetFlag(FLAGS_controller)},
                                        std::pair{strata::v1::HOST, absl::GetFlag(FLAGS_host)}}) {
    for (const std::string& address : addresses) options.services.push_back({role, address});
  }
  std::unique_ptr<prometheus::Exposer> exposer;
  if (!absl::GetFlag(FLAGS_metrics_address).empty()) {
    options.registry = std::make_shared<prometheus::Registry>();
    exposer = std::make_unique<prometheus::Exposer>(absl::GetFlag(FLAGS_metrics_address));
    exposer->RegisterCollectable(options.registry);
  }
  auto server = strata::coordinator::CoordinatorServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "strata-coordinator: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  std::printf("strata-coordinator listening on port %d (%s; jobs in %s)\n", (*server)->port(),
              options.security.tls() ? "TLS" : "plaintext", options.database.c_str());
  if (exposer) std::printf("strata-coordinator metrics on port %d\n", exposer->GetListeningPorts().front());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::printf("strata-coordinator: signal %d, shutting down\n", signal);
  (*server)->Shutdown();
  return 0;
}
