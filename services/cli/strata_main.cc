// strata: the command-line front end.
//
//   strata run JOB.textproto [--output results.json] [--csv results.csv]
//              [--partitions N] [--sync window|null] [--seed S]
//   strata models
//
// Exit codes: 0 success, 2 bad input (the message names the field), 1 any
// other failure.
#include <unistd.h>

#include <cstdio>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "job/job_runner.h"
#include "metrics/job_metrics.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"
#include "model/model_catalog.h"

ABSL_FLAG(std::string, output, "", "write the result as JSON (strata.v1.JobResult) to this file");
ABSL_FLAG(std::string, csv, "", "write the result as one CSV row (with header) to this file");
ABSL_FLAG(int, partitions, 0, "override simulation.partitions (1 to 256)");
ABSL_FLAG(std::string, sync, "", "override simulation.sync: window | null");
ABSL_FLAG(std::string, fidelity, "", "override simulation.fidelity: page | stream");
ABSL_FLAG(uint64_t, seed, 0, "override simulation.seed");
ABSL_FLAG(bool, quiet, false, "no progress output");
ABSL_FLAG(std::string, metrics_address, "",
          "serve live Prometheus metrics at HOST:PORT/metrics during the run (PORT 0: any free port)");
ABSL_FLAG(double, metrics_linger_seconds, 0, "keep serving metrics this long after the run ends");

namespace {

using strata::v1::JobResult;

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "strata: %s\n", std::string(status.message()).c_str());
  return status.code() == absl::StatusCode::kInvalidArgument || status.code() == absl::StatusCode::kNotFound ? 2 : 1;
}

void PrintProgress(const strata::coordinator::JobProgress& p, bool tty) {
  const double frac = p.tokens_total ? static_cast<double>(p.tokens_done) / p.tokens_total : 0;
  const double rate = p.kernel.wall_seconds > 0 ? p.kernel.committed_events / p.kernel.wall_seconds : 0;
  const double eta = frac > 0 ? p.kernel.wall_seconds * (1 - frac) / frac : 0;
  const double speed = p.kernel.wall_seconds > 0 ? p.kernel.simulated_time.ToSeconds() / p.kernel.wall_seconds : 0;
  if (tty) {
    const int width = 30, filled = static_cast<int>(frac * width);
    std::fprintf(stderr, "\r[%s%s] %u/%u tokens  ETA %.0fs  %.3g events/s  %.3g x real time   ",
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), p.tokens_done,
                 p.tokens_total, eta, rate, speed);
  } else {
    std::fprintf(stderr, "progress: %u/%u tokens, sim %s, %.3g events/s, %.3g x real time\n", p.tokens_done,
                 p.tokens_total, p.kernel.simulated_time.ToString().c_str(), rate, speed);
  }
}

void PrintTable(const JobResult& r) {
  std::printf("\n%s on %s%s%s\n", r.model().c_str(), r.system().c_str(), r.job_name().empty() ? "" : "  (",
              r.job_name().empty() ? "" : (r.job_name() + ")").c_str());
  std::printf("  tokens/s              %12.4f\n", r.tokens_per_second());
  std::printf("  time per token        %12.1f us\n", r.time_per_token_us());
  std::printf("  prefill               %12.4f s\n", r.prefill_seconds());
  std::printf("  weight bytes / token  %12.4g\n", static_cast<double>(r.weight_bytes_per_token()));
  std::printf("\n  time per token by part        us       share\n");
  const auto& b = r.time_per_token_breakdown();
  const std::pair<const char*, double> parts[] = {
      {"flash array", b.flash_array_us()},     {"ECC", b.ecc_us()},
      {"flash bus", b.flash_bus_us()},         {"PE compute", b.pe_compute_us()},
      {"host attention", b.host_attention_us()}, {"host GEMV", b.host_gemv_us()},
      {"host other", b.host_other_us()},       {"PCIe / NVMe", b.pcie_nvme_us()},
      {"synchronisation", b.synchronization_us()}};
  for (const auto& [name, us] : parts) {
    if (us <= 0) continue;
    std::printf("  %-22s %12.1f   %5.1f%%\n", name, us, 100 * us / r.time_per_token_us());
  }
  std::printf("\n  resource     utilisation    bytes/s\n");
  for (const auto& u : r.utilization()) {
    std::printf("  %-12s %10.1f%%   %10.4g\n", u.resource().c_str(), 100 * u.utilization(), u.bytes_per_second());
  }
  std::printf("\n  simulated %.4g s in %.3g s wall (%.3g x real time), %llu events (%.3g events/s), "
              "%d partition(s), %s sync\n",
              r.simulated_seconds(), r.wall_seconds(), r.wall_seconds() > 0 ? r.simulated_seconds() / r.wall_seconds() : 0,
              static_cast<unsigned long long>(r.events()),
              r.wall_seconds() > 0 ? static_cast<double>(r.events()) / r.wall_seconds() : 0, r.partitions(),
              r.sync().c_str());
  std::printf("  digest %s\n", r.digest().c_str());
}

absl::Status WriteCsv(const JobResult& r, const std::string& path) {
  std::ofstream out(path);
  if (!out) return absl::InvalidArgumentError(absl::StrCat("--csv: cannot write '", path, "'"));
  const auto& b = r.time_per_token_breakdown();
  out << "job,model,system,tokens_per_second,time_per_token_us,flash_array_us,ecc_us,flash_bus_us,pe_compute_us,"
         "host_attention_us,host_gemv_us,host_other_us,pcie_nvme_us,synchronization_us,prefill_seconds,"
         "simulated_seconds,events,wall_seconds,partitions,sync,digest\n";
  out << absl::StrCat(r.job_name(), ",", r.model(), ",", r.system(), ",", r.tokens_per_second(), ",",
                      r.time_per_token_us(), ",", b.flash_array_us(), ",", b.ecc_us(), ",", b.flash_bus_us(), ",",
                      b.pe_compute_us(), ",", b.host_attention_us(), ",", b.host_gemv_us(), ",", b.host_other_us(),
                      ",", b.pcie_nvme_us(), ",", b.synchronization_us(), ",", r.prefill_seconds(), ",",
                      r.simulated_seconds(), ",", r.events(), ",", r.wall_seconds(), ",", r.partitions(), ",",
                      r.sync(), ",", r.digest())
      << "\n";
  return absl::OkStatus();
}

int RunCommand(const std::string& path) {
  auto spec = strata::coordinator::LoadJobSpec(path);
  if (!spec.ok()) return Fail(spec.status());
  auto* sim = spec->mutable_simulation();
  if (absl::GetFlag(FLAGS_partitions) != 0) sim->set_partitions(absl::GetFlag(FLAGS_partitions));
  if (absl::GetFlag(FLAGS_seed) != 0) sim->set_seed(absl::GetFlag(FLAGS_seed));
  const std::string sync = absl::GetFlag(FLAGS_sync);
  if (sync == "window") sim->set_sync(strata::v1::WINDOW);
  else if (sync == "null") sim->set_sync(strata::v1::NULL_MESSAGE);
  else if (!sync.empty()) return Fail(absl::InvalidArgumentError(absl::StrCat("--sync = '", sync, "'; allowed: window, null")));
  const std::string fidelity = absl::GetFlag(FLAGS_fidelity);
  if (fidelity == "page") sim->set_fidelity(strata::v1::PAGE);
  else if (fidelity == "stream") sim->set_fidelity(strata::v1::STREAM);
  else if (!fidelity.empty()) return Fail(absl::InvalidArgumentError(absl::StrCat("--fidelity = '", fidelity, "'; allowed: page, stream")));

  // Live metrics: a registry served over HTTP while the job runs.
  std::unique_ptr<prometheus::Exposer> exposer;
  std::unique_ptr<strata::coordinator::JobMetrics> metrics;
  if (const std::string address = absl::GetFlag(FLAGS_metrics_address); !address.empty()) {
    auto registry = std::make_shared<prometheus::Registry>();
    try {
      exposer = std::make_unique<prometheus::Exposer>(address);
    } catch (const std::exception& e) {
      return Fail(absl::InvalidArgumentError(absl::StrCat("--metrics_address = '", address, "': ", e.what())));
    }
    exposer->RegisterCollectable(registry);
    metrics = std::make_unique<strata::coordinator::JobMetrics>(registry, spec->name().empty() ? path : spec->name());
    std::fprintf(stderr, "metrics: http://%s:%d/metrics\n", address.substr(0, address.rfind(':')).c_str(),
                 exposer->GetListeningPorts().front());
  }
  const bool tty = isatty(fileno(stderr)) != 0;
  const bool quiet = absl::GetFlag(FLAGS_quiet);
  std::function<void(const strata::coordinator::JobProgress&)> progress;
  if (!quiet || metrics) {
    progress = [tty, quiet, &metrics](const auto& p) {
      if (!quiet) PrintProgress(p, tty);
      if (metrics) metrics->Update(p);
    };
  }
  auto result = strata::coordinator::RunJob(*spec, progress);
  if (exposer && absl::GetFlag(FLAGS_metrics_linger_seconds) > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(absl::GetFlag(FLAGS_metrics_linger_seconds)));
  }
  if (tty && !quiet) std::fprintf(stderr, "\n");
  if (!result.ok()) return Fail(result.status());
  PrintTable(*result);
  if (const std::string out = absl::GetFlag(FLAGS_output); !out.empty()) {
    std::string json;
    google::protobuf::util::JsonPrintOptions o;
    o.add_whitespace = true;
    o.always_print_primitive_fields = true;
    o.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(*result, &json, o);
    std::ofstream f(out);
    if (!f) return Fail(absl::InvalidArgumentError(absl::StrCat("--output: cannot write '", out, "'")));
    f << json;
  }
  if (const std::string csv = absl::GetFlag(FLAGS_csv); !csv.empty()) {
    if (absl::Status s = WriteCsv(*result, csv); !s.ok()) return Fail(s);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "strata run JOB.textproto [--output F.json] [--csv F.csv] [--partitions N] [--sync window|null] [--seed S]\n"
      "  strata models");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() >= 2 && std::string(args[1]) == "models") {
    std::printf("%-14s %7s %7s %7s %6s %4s %8s %s\n", "model", "params", "layers", "hidden", "heads", "kv", "vocab",
                "ffn");
    for (const auto& s : strata::host::Catalog()) {
      std::printf("%-14s %6.2fB %7d %7lld %6d %4d %8lld %lld%s\n", s.name.c_str(),
                  strata::host::CountParameters(s).total() / 1e9, s.layers, static_cast<long long>(s.hidden),
                  s.heads, s.kv_heads, static_cast<long long>(s.vocab), static_cast<long long>(s.ffn),
                  s.experts > 1 ? absl::StrFormat(" x %d experts, top-%d", s.experts, s.experts_per_token).c_str() : "");
    }
    return 0;
  }
  if (args.size() == 3 && std::string(args[1]) == "run") return RunCommand(args[2]);
  std::fprintf(stderr, "usage: %s\n", absl::ProgramUsageMessage().data());
  return 2;
}
