// strata: the command-line front end.
//
//   strata run JOB.textproto [--output results.json] [--csv results.csv]
//              [--partitions N|auto] [--sync window|null] [--seed S]
//   strata models
//   strata describe [SYSTEM] [--format text|json]
//   strata submit JOB.textproto [--server HOST:PORT] [--watch]
//   strata watch ID [--output F.json] [--csv F.csv] | strata cancel ID
//   strata list [--state S] [--format table|json]
//   strata sweep SWEEP.textproto [--csv out.csv] [--jobs N | --submit | --shard I/N --results_dir DIR]
//   strata sweep --merge DIR [--csv out.csv]
//
// Exit codes: 0 success, 2 bad input (the message names the field), 1 any
// other failure.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "services/coordinator/job/job_runner.h"
#include "partition_server.h"
#include "reproduce/reproduce.h"
#include "services/systems/job/describe.h"
#include "services/systems/job/job_estimate.h"
#include "sweep/sweep.h"
#include "sweep/sweep_client.h"
#include "sweep/sweep_shard.h"
#include "sweep/sweep_table.h"
#include "results/result_columns.h"
#include "strata/common/command_line.h"
#include "strata/common/rpc_security_flags.h"
#include "strata/sim/partitioner.h"
#include "strata/v1/job_service.grpc.pb.h"
#include "services/systems/job/job_metrics.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"
#include "model/model_catalog.h"

ABSL_FLAG(std::string, output, "", "run, watch, submit --watch: write the result as JSON (strata.v1.JobResult) to this file");
ABSL_FLAG(std::string, csv, "",
          "run, watch, submit --watch: write the result as one CSV row (with header) to this file; "
          "sweep: the sweep's CSV (default sweep.csv)");
// --partitions: a count or "auto", checked when the flags are parsed (a bad
// value exits 2 before any file is read).
struct PartitionsFlag {
  int count = 0;  // 0: the spec's own
  bool automatic = false;
};
bool AbslParseFlag(absl::string_view text, PartitionsFlag* flag, std::string* error) {
  if (text.empty()) {
    *flag = {};
    return true;
  }
  if (text == "auto") {
    *flag = {0, true};
    return true;
  }
  int n = 0;
  if (!absl::SimpleAtoi(text, &n) || n < 1 || n > strata::sim::kMaxPartitions) {
    *error = absl::StrCat("allowed: 1 to ", strata::sim::kMaxPartitions, " or auto");
    return false;
  }
  *flag = {n, false};
  return true;
}
std::string AbslUnparseFlag(const PartitionsFlag& flag) {
  return flag.automatic ? "auto" : flag.count == 0 ? "" : absl::StrCat(flag.count);
}
ABSL_FLAG(PartitionsFlag, partitions, PartitionsFlag{},
          "override simulation.partitions: 1 to 256, or auto (a pilot run picks the count and the cuts for this "
          "machine's cores: simulation.auto_partitions)");
ABSL_FLAG(std::string, sync, "", "override simulation.sync: window | null");
ABSL_FLAG(std::string, fidelity, "", "override simulation.fidelity: page | stream");
ABSL_FLAG(uint64_t, seed, 0, "override simulation.seed");
ABSL_FLAG(bool, quiet, false, "no progress output");
ABSL_FLAG(bool, dry_run, false,
          "run: print the job's admission estimate (peak memory, events, wall time) without running it");
ABSL_FLAG(std::string, metrics_address, "",
          "serve live Prometheus metrics at HOST:PORT/metrics during the run (PORT 0: any free port)");
ABSL_FLAG(double, metrics_linger_seconds, 0, "keep serving metrics this long after the run ends");
ABSL_FLAG(std::string, server, "127.0.0.1:7700", "strata-coordinator address for submit, watch, list, cancel");
ABSL_FLAG(bool, watch, false, "submit: follow the job until it ends and print its result");
ABSL_FLAG(std::string, request_id, "", "submit: idempotency key; a retried submit with it runs the job once");
ABSL_FLAG(std::string, state, "", "list: only jobs in this state (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)");
ABSL_FLAG(std::string, format, "",
          "list: table (the default: a header, one job a line) | json (strata.v1.ListJobsResponse); "
          "describe: text (the default) | json");
ABSL_FLAG(std::string, shard, "",
          "sweep: run only shard I of N of the grid (points I, I+N, ...), as I/N, or N with I from "
          "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); needs --results_dir");
ABSL_FLAG(std::string, results_dir, "",
          "sweep --shard: one folder per grid point here (spec, result JSON, CSV row); points already done are "
          "skipped, so a rerun resumes");
ABSL_FLAG(std::string, merge, "", "sweep --merge DIR: gather the point folders of a sharded sweep into --csv");
ABSL_FLAG(int, jobs, 2, "sweep, reproduce: jobs simulated at once, 1 to 64");
ABSL_FLAG(bool, submit, false,
          "sweep: run the grid points as jobs on the coordinator at --server (its queue runs them, distributed "
          "points on its services) instead of here; submitting the same sweep again reuses its jobs");
ABSL_FLAG(bool, quick, false, "reproduce: the small CI version (two small models, few tokens)");
ABSL_FLAG(std::string, out, "results/reproduce", "reproduce: folder for the tables (CSV, text) and plots (PNG, SVG)");
ABSL_FLAG(std::string, health_service, "",
          "health: the service to ask about (empty: the whole server; e.g. strata.v1.JobService)");
ABSL_FLAG(double, timeout_seconds, 30, "deadline for each call to the coordinator (watch: per message)");

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

void PrintRunLine(const JobResult& r);

// The figures of JobSpec.ssd_io: a plain I/O job's, or the user's I/O
// beside an LLM job.
void PrintIoTable(const JobResult& r) {
  const auto& io = r.ssd_io();
  if (r.model().empty()) {
    std::printf("\n%s%s%s\n", r.system().c_str(), r.job_name().empty() ? "" : "  (",
                r.job_name().empty() ? "" : (r.job_name() + ")").c_str());
  } else {
    std::printf("\n  user I/O on the same SSD (ssd_io)\n");
  }
  std::printf("  commands              %12llu   errors %llu\n", static_cast<unsigned long long>(io.commands()),
              static_cast<unsigned long long>(io.errors()));
  std::printf("  IOPS                  %12.0f\n", io.iops());
  std::printf("  bandwidth             %12.1f MB/s\n", io.mb_per_second());
  std::printf("\n  latency us   %8s %10s %10s %10s %10s %10s\n", "count", "mean", "p50", "p99", "p99.9", "max");
  for (const auto& [name, l] : {std::pair{"all", io.all()}, std::pair{"read", io.read()}, std::pair{"write", io.write()}}) {
    if (l.count() == 0) continue;
    std::printf("  %-12s %8llu %10.1f %10.1f %10.1f %10.1f %10.1f\n", name, static_cast<unsigned long long>(l.count()),
                l.mean_us(), l.p50_us(), l.p99_us(), l.p999_us(), l.max_us());
  }
  std::printf("\n  FTL during the run: write amplification %.3f, %llu GC page copies, %llu erases\n",
              io.write_amplification(), static_cast<unsigned long long>(io.gc_page_copies()),
              static_cast<unsigned long long>(io.gc_erases()));
  if (io.mapping_lookups() > 0) {
    std::printf("  DFTL mapping cache: hit ratio %.4f of %llu lookups, %llu translation pages read, %llu written\n",
                io.mapping_cache_hit_ratio(), static_cast<unsigned long long>(io.mapping_lookups()),
                static_cast<unsigned long long>(io.translation_page_reads()),
                static_cast<unsigned long long>(io.translation_page_writes()));
  }
  if (!r.model().empty()) return;  // the LLM table has the resources and the run line
  std::printf("\n  resource         utilisation    bytes/s\n");
  for (const auto& u : r.utilization()) {
    std::printf("  %-16s %10.1f%%   %10.4g\n", u.resource().c_str(), 100 * u.utilization(), u.bytes_per_second());
  }
  PrintRunLine(r);
}

// Energy per token by part (whole run, spread over the decode tokens).
void PrintEnergy(const strata::v1::EnergyBreakdown& e) {
  std::printf("\n  energy per token by part      mJ       share\n");
  const auto& t = e.per_token();
  const std::pair<const char*, double> parts[] = {
      {"flash array", t.flash_array()}, {"ECC", t.ecc()},         {"flash bus", t.flash_bus()},
      {"PE compute", t.pe_compute()},   {"host compute", t.host_compute()}, {"DRAM / HBM", t.dram()},
      {"PCIe / NVMe", t.pcie_nvme()},   {"static", t.static_power()},
      {"flash program/erase", t.flash_program()}};
  for (const auto& [name, j] : parts) {
    if (j <= 0) continue;
    std::printf("  %-22s %12.4f   %5.1f%%\n", name, 1e3 * j, 100 * j / e.joules_per_token());
  }
  std::printf("  %-22s %12.4f   (data movement %.4f mJ)\n", "total", 1e3 * e.joules_per_token(),
              1e3 * e.data_movement_joules_per_token());
  std::printf("  average power %.4g W, energy-delay %.4g J s per token, run %.4g J\n", e.average_watts(),
              e.energy_delay_joule_seconds(), e.joules());
}

void PrintTable(const JobResult& r) {
  if (r.model().empty() && r.has_ssd_io()) {
    PrintIoTable(r);
    return;
  }
  std::printf("\n%s on %s%s%s\n", r.model().c_str(), r.system().c_str(), r.job_name().empty() ? "" : "  (",
              r.job_name().empty() ? "" : (r.job_name() + ")").c_str());
  std::printf("  tokens/s              %12.4f\n", r.tokens_per_second());
  std::printf("  time per token        %12.1f us\n", r.time_per_token_us());
  std::printf("  prefill               %12.4f s\n", r.prefill_seconds());
  if (r.setup_seconds() > 0) std::printf("  setup (aif_post)      %12.4f s\n", r.setup_seconds());
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
  PrintEnergy(r.energy());
  std::printf("\n  resource     utilisation    bytes/s\n");
  for (const auto& u : r.utilization()) {
    std::printf("  %-12s %10.1f%%   %10.4g\n", u.resource().c_str(), 100 * u.utilization(), u.bytes_per_second());
  }
  if (r.has_ssd_io()) PrintIoTable(r);
  PrintRunLine(r);
}

void PrintRunLine(const JobResult& r) {
  std::printf("\n  simulated %.4g s in %.3g s wall (%.3g x real time), %llu events (%.3g events/s), "
              "%d partition(s), %s sync%s\n",
              r.simulated_seconds(), r.wall_seconds(), r.wall_seconds() > 0 ? r.simulated_seconds() / r.wall_seconds() : 0,
              static_cast<unsigned long long>(r.events()),
              r.wall_seconds() > 0 ? static_cast<double>(r.events()) / r.wall_seconds() : 0, r.partitions(),
              r.sync().c_str(), r.wire().empty() ? "" : absl::StrCat(" (", r.wire(), ")").c_str());
  if (r.partitions() > 1) {
    // The kernel's report of what keeping partitions in step cost, so a
    // user can tell whether more partitions help this graph.
    const double events = static_cast<double>(std::max<uint64_t>(1, r.events()));
    std::printf("  sync cost: %llu windows (%.3g per event), %llu null messages (%.3g per event), "
                "partitions blocked %.0f%% of their wall time%s\n",
                static_cast<unsigned long long>(r.windows()), r.windows() / events,
                static_cast<unsigned long long>(r.null_messages()), r.null_messages() / events,
                100 * r.blocked_fraction(),
                r.blocked_fraction() > 0.5 ? " (short lookahead for these events: fewer partitions may run faster)"
                                           : "");
  }
  if (!r.partition_choice().empty()) std::printf("  %s\n", r.partition_choice().c_str());
  std::printf("  digest %s\n", r.digest().c_str());
}

absl::Status WriteCsv(const JobResult& r, const std::string& path) {
  std::ofstream out(path);
  out << strata::coordinator::ResultCsv(r);
  if (!out.flush()) return absl::InvalidArgumentError(absl::StrCat("--csv: cannot write '", path, "'"));
  return absl::OkStatus();
}

// --output and --csv, after run, watch or submit --watch.
int WriteResultFiles(const JobResult& result) {
  if (const std::string out = absl::GetFlag(FLAGS_output); !out.empty()) {
    std::string json;
    google::protobuf::util::JsonPrintOptions o;
    o.add_whitespace = true;
    o.always_print_primitive_fields = true;
    o.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(result, &json, o);
    std::ofstream f(out);
    f << json;
    if (!f.flush()) return Fail(absl::InvalidArgumentError(absl::StrCat("--output: cannot write '", out, "'")));
  }
  if (const std::string csv = absl::GetFlag(FLAGS_csv); !csv.empty()) {
    if (absl::Status s = WriteCsv(result, csv); !s.ok()) return Fail(s);
  }
  return 0;
}

// `strata run --dry-run`: the admission estimate the coordinator checks
// (docs/admission.md), from the spec alone: nothing is built or run.
int DryRun(const strata::v1::JobSpec& raw) {
  auto spec = strata::coordinator::NormalizeJobSpec(raw);
  if (!spec.ok()) return Fail(spec.status());
  auto e = strata::systems::EstimateJob(*spec);
  if (!e.ok()) return Fail(e.status());
  std::printf("estimate (docs/admission.md; nothing was run)\n");
  constexpr double kMiB = 1024.0 * 1024;
  std::printf("  peak memory  %.3g GiB  (process baseline + %.4g NAND blocks x %.0f B", e->memory_bytes / (1024 * kMiB),
              e->nand_blocks, e->block_state_bytes);
  if (e->ftl_bytes > 0) {
    std::printf(" + FTL %.4g MiB + page cache %.4g MiB + I/O records %.4g MiB", e->ftl_bytes / kMiB,
                e->page_cache_bytes / kMiB, e->io_record_bytes / kMiB);
  }
  std::printf(")\n");
  if (!e->events_calibrated) {
    std::printf("  events       unknown: %s\n", spec->has_ssd_io() ? "an I/O job bounded by duration_s only"
                                                                  : "no calibration row for this system");
    return 0;
  }
  if (e->io_commands > 0) {
    std::printf("  events       %.4g  (%.6g commands x %.6g + %.6g events, plain I/O)\n", e->events, e->io_commands,
                e->events_per_command, e->fixed_io_events);
  } else {
    std::printf("  events       %.4g  (%d layers x (%d decode tokens x %.6g + %.6g) events, %s fidelity)\n",
                e->events, e->layers, spec->workload().decode_tokens(), e->events_per_layer_token,
                e->fixed_events_per_layer, spec->simulation().fidelity() == strata::v1::PAGE ? "PAGE" : "STREAM");
  }
  std::printf("  wall time    %.3g s at %.3g events/s on one partition\n",
              e->events / strata::systems::kDryRunEventsPerSecond, strata::systems::kDryRunEventsPerSecond);
  return 0;
}

int RunCommand(const std::string& path) {
  auto spec = strata::coordinator::LoadJobSpec(path);
  if (!spec.ok()) return Fail(spec.status());
  auto* sim = spec->mutable_simulation();
  if (const PartitionsFlag partitions = absl::GetFlag(FLAGS_partitions); partitions.automatic) {
    sim->set_auto_partitions(true);
  } else if (partitions.count != 0) {
    sim->set_partitions(partitions.count);
    sim->set_auto_partitions(false);
  }
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
  std::unique_ptr<strata::systems::JobMetrics> metrics;
  if (const std::string address = absl::GetFlag(FLAGS_metrics_address); !address.empty()) {
    auto registry = std::make_shared<prometheus::Registry>();
    try {
      exposer = std::make_unique<prometheus::Exposer>(address);
    } catch (const std::exception& e) {
      return Fail(absl::InvalidArgumentError(absl::StrCat("--metrics_address = '", address, "': ", e.what())));
    }
    exposer->RegisterCollectable(registry);
    metrics = std::make_unique<strata::systems::JobMetrics>(registry, spec->name().empty() ? path : spec->name());
    std::fprintf(stderr, "metrics: http://%s:%d/metrics\n", address.substr(0, address.rfind(':')).c_str(),
                 exposer->GetListeningPorts().front());
  }
  if (absl::GetFlag(FLAGS_dry_run)) return DryRun(*spec);
  const bool tty = isatty(fileno(stderr)) != 0;
  const bool quiet = absl::GetFlag(FLAGS_quiet);
  std::function<void(const strata::coordinator::JobProgress&)> progress;
  if (!quiet || metrics) {
    progress = [tty, quiet, &metrics](const auto& p) {
      if (!quiet) PrintProgress(p, tty);
      if (metrics) metrics->Update(p);
    };
  }
  std::function<void(const strata::coordinator::ModelFigures&)> on_model;
  if (metrics) {
    on_model = [&metrics](const strata::coordinator::ModelFigures& f) { metrics->UpdateModel({f}); };
  }
  auto result = strata::coordinator::RunJob(*spec, progress, nullptr, on_model);
  if (metrics && result.ok()) metrics->Finish(*result, static_cast<uint32_t>(spec->workload().decode_tokens()));
  if (exposer && absl::GetFlag(FLAGS_metrics_linger_seconds) > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(absl::GetFlag(FLAGS_metrics_linger_seconds)));
  }
  if (tty && !quiet) std::fprintf(stderr, "\n");
  if (!result.ok()) return Fail(result.status());
  PrintTable(*result);
  return WriteResultFiles(*result);
}

// ---- client commands: the same tables, from a coordinator ------------------

// The coordinator, with the credentials main loaded from --tls_* and
// --token_file (or $STRATA_TOKEN).
std::unique_ptr<strata::v1::JobService::Stub> Connect() {
  return strata::v1::JobService::NewStub(strata::Dial(absl::GetFlag(FLAGS_server), strata::ProcessRpcSecurity()));
}

std::unique_ptr<grpc::ClientContext> Deadline() {
  auto c = std::make_unique<grpc::ClientContext>();
  c->set_deadline(std::chrono::system_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(absl::GetFlag(FLAGS_timeout_seconds) * 1000)));
  return c;
}

int FailRpc(const grpc::Status& s) {
  std::fprintf(stderr, "strata: %s (%s)\n", s.error_message().c_str(),
               s.error_code() == grpc::StatusCode::UNAVAILABLE ? ("is strata-coordinator running at " +
                                                                 absl::GetFlag(FLAGS_server) + "?").c_str()
                                                               : ("code " + std::to_string(s.error_code())).c_str());
  return s.error_code() == grpc::StatusCode::INVALID_ARGUMENT || s.error_code() == grpc::StatusCode::NOT_FOUND ? 2
                                                                                                              : 1;
}

void PrintJobHeader() {
  std::printf("%-22s %-10s %13s %-28s %s\n", "ID", "STATE", "TOKENS", "NAME", "RESULT / ERROR");
}

void PrintJobLine(const strata::v1::Job& j) {
  std::printf("%-22s %-10s %6u/%-6u %-28s %s\n", j.id().c_str(), strata::v1::JobState_Name(j.state()).c_str(),
              j.progress().tokens_done(), j.progress().tokens_total(), j.spec().name().c_str(),
              j.state() == strata::v1::SUCCEEDED ? absl::StrFormat("%.4g tokens/s", j.result().tokens_per_second()).c_str()
                                                 : j.error().c_str());
}

int WatchCommand(const std::string& id) {
  auto stub = Connect();
  strata::v1::WatchJobRequest request;
  request.set_id(id);
  grpc::ClientContext context;  // no deadline: a job may run for hours; each message is progress
  auto reader = stub->WatchJob(&context, request);
  strata::v1::Job job;
  const bool tty = isatty(fileno(stderr)) != 0;
  bool any = false;
  while (reader->Read(&job)) {
    any = true;
    if (job.state() == strata::v1::RUNNING && !absl::GetFlag(FLAGS_quiet)) {
      strata::coordinator::JobProgress p;
      p.tokens_done = job.progress().tokens_done();
      p.tokens_total = job.progress().tokens_total();
      p.kernel.committed_events = job.progress().events();
      p.kernel.wall_seconds = job.progress().wall_seconds();
      p.kernel.simulated_time = strata::sim::SimTime::FromSeconds(job.progress().simulated_seconds());
      PrintProgress(p, tty);
    }
  }
  if (tty && !absl::GetFlag(FLAGS_quiet)) std::fprintf(stderr, "\n");
  grpc::Status s = reader->Finish();
  if (!s.ok()) return FailRpc(s);
  if (!any) return 1;
  if (job.state() == strata::v1::SUCCEEDED) {
    PrintTable(job.result());
    return WriteResultFiles(job.result());
  }
  std::fprintf(stderr, "strata: job %s ended %s: %s\n", job.id().c_str(),
               strata::v1::JobState_Name(job.state()).c_str(), job.error().c_str());
  return 1;
}

int SubmitCommand(const std::string& path) {
  if (!absl::GetFlag(FLAGS_watch) && (!absl::GetFlag(FLAGS_output).empty() || !absl::GetFlag(FLAGS_csv).empty())) {
    return Fail(absl::InvalidArgumentError(
        "submit: --output and --csv need --watch (the result exists only when the job ends); "
        "or run `strata watch ID --output ...` later"));
  }
  auto spec = strata::coordinator::LoadJobSpec(path);
  if (!spec.ok()) return Fail(spec.status());
  strata::v1::SubmitJobRequest request;
  *request.mutable_spec() = *spec;
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  strata::v1::Job job;
  grpc::Status s = Connect()->SubmitJob(Deadline().get(), request, &job);
  if (!s.ok()) return FailRpc(s);
  std::printf("%s\n", job.id().c_str());
  std::fflush(stdout);
  return absl::GetFlag(FLAGS_watch) ? WatchCommand(job.id()) : 0;
}

int ListCommand() {
  const std::string format = absl::GetFlag(FLAGS_format).empty() ? "table" : absl::GetFlag(FLAGS_format);
  if (format != "table" && format != "json") {
    return Fail(absl::InvalidArgumentError(absl::StrCat("--format = '", format, "'; allowed: table, json")));
  }
  strata::v1::ListJobsRequest request;
  if (const std::string state = absl::GetFlag(FLAGS_state); !state.empty()) {
    strata::v1::JobState parsed;
    if (!strata::v1::JobState_Parse(state, &parsed)) {
      return Fail(absl::InvalidArgumentError(
          absl::StrCat("--state = '", state, "'; allowed: QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED")));
    }
    request.set_state(parsed);
  }
  auto stub = Connect();
  strata::v1::ListJobsResponse all;  // every page, for --format=json
  if (format == "table") PrintJobHeader();
  do {
    strata::v1::ListJobsResponse response;
    grpc::Status s = stub->ListJobs(Deadline().get(), request, &response);
    if (!s.ok()) return FailRpc(s);
    for (const auto& j : response.jobs()) {
      if (format == "table") PrintJobLine(j);
      else *all.add_jobs() = j;
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  if (format == "json") {
    std::string json;
    google::protobuf::util::JsonPrintOptions o;
    o.add_whitespace = true;
    o.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(all, &json, o);
    std::printf("%s", json.c_str());
  }
  return 0;
}

int CancelCommand(const std::string& id) {
  strata::v1::CancelJobRequest request;
  request.set_id(id);
  strata::v1::Job job;
  grpc::Status s = Connect()->CancelJob(Deadline().get(), request, &job);
  if (!s.ok()) return FailRpc(s);
  PrintJobHeader();
  PrintJobLine(job);
  return 0;
}

// The sweep CSV (sweep/sweep_table.h). Returns the number of points that
// failed, or -1 if the file cannot be written.
int WriteSweepCsv(const std::vector<strata::coordinator::SweepRow>& rows, const std::string& path) {
  std::ofstream out(path);
  out << strata::coordinator::SweepCsv(rows);
  if (!out.flush()) return -1;
  int failures = 0;
  for (const auto& row : rows) failures += row.values.back().empty() ? 0 : 1;  // "error" is last
  return failures;
}

std::string SweepCsvPath() {
  const std::string path = absl::GetFlag(FLAGS_csv);
  return path.empty() ? "sweep.csv" : path;
}

// strata health --server HOST:PORT: asks the server's standard gRPC health
// service (grpc.health.v1), as a container HEALTHCHECK or a person would.
// Exit 0 when SERVING, 1 otherwise (unreachable, NOT_SERVING, unknown).
int HealthCommand() {
  auto stub = grpc::health::v1::Health::NewStub(strata::Dial(absl::GetFlag(FLAGS_server), strata::ProcessRpcSecurity()));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(absl::GetFlag(FLAGS_health_service));
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status s = stub->Check(Deadline().get(), request, &response);
  if (!s.ok()) {
    std::fprintf(stderr, "strata: health of %s: %s (code %d)\n", absl::GetFlag(FLAGS_server).c_str(),
                 s.error_message().c_str(), static_cast<int>(s.error_code()));
    return 1;
  }
  const std::string status = grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
  std::printf("%s %s\n", absl::GetFlag(FLAGS_server).c_str(), status.c_str());
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}

// strata sweep --merge DIR: the point folders of a sharded sweep, as one CSV.
int MergeCommand(const std::string& dir) {
  auto merged = strata::coordinator::MergeSweepResults(dir);
  if (!merged.ok()) return Fail(merged.status());
  const std::string csv_path = SweepCsvPath();
  const int failures = WriteSweepCsv(merged->rows, csv_path);
  if (failures < 0) return Fail(absl::InvalidArgumentError(absl::StrCat("--csv: cannot write '", csv_path, "'")));
  std::printf("%zu grid points, %zu merged (%d failed), %zu missing; results in %s\n", merged->points,
              merged->rows.size(), failures, merged->missing.size(), csv_path.c_str());
  if (!merged->missing.empty()) {
    std::fprintf(stderr, "strata: grid points with no results yet: %s\n",
                 absl::StrJoin(merged->missing, ", ").c_str());
    return 1;
  }
  return failures == 0 ? 0 : 1;
}

// strata sweep SWEEP.textproto --csv out.csv: every grid point embedded,
// `--jobs` at a time, or with --submit as jobs on the coordinator.
int SweepCommand(const std::string& path) {
  auto sweep = strata::coordinator::LoadSweepSpec(path);
  if (!sweep.ok()) return Fail(sweep.status());
  auto points = strata::coordinator::ExpandSweep(*sweep);
  if (!points.ok()) return Fail(points.status());
  const int parallel = absl::GetFlag(FLAGS_jobs);
  if (parallel < 1 || parallel > 64) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("--jobs = ", parallel, "; allowed: 1 to 64")));
  }
  // Validate every point before running any, so a typo fails fast.
  for (size_t i = 0; i < points->size(); ++i) {
    auto normalized = strata::coordinator::NormalizeJobSpec((*points)[i].job);
    if (!normalized.ok()) {
      return Fail(absl::InvalidArgumentError(absl::StrCat("grid point ", i, ": ", normalized.status().message())));
    }
  }
  auto progress = [](size_t done, size_t total) {
    if (!absl::GetFlag(FLAGS_quiet)) std::fprintf(stderr, "sweep: %zu/%zu points done\n", done, total);
  };
  if (const std::string shard_flag = absl::GetFlag(FLAGS_shard); !shard_flag.empty()) {
    auto shard = strata::coordinator::ParseShard(shard_flag, std::getenv("JOB_COMPLETION_INDEX"));
    if (!shard.ok()) return Fail(shard.status());
    const std::string dir = absl::GetFlag(FLAGS_results_dir);
    if (dir.empty()) return Fail(absl::InvalidArgumentError("--shard needs --results_dir (a folder shared by the shards)"));
    std::function<void(const std::string&)> log;
    if (!absl::GetFlag(FLAGS_quiet)) log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
    auto report = strata::coordinator::RunSweepShard(*sweep, *points, *shard, dir, parallel, log);
    if (!report.ok()) return Fail(report.status());
    std::printf("shard %d/%d: %zu of %zu grid points, %zu already done, %zu run, %zu failed; results in %s\n",
                shard->index, shard->count, report->owned, report->points, report->skipped,
                report->owned - report->skipped, report->failed, dir.c_str());
    return report->failed == 0 ? 0 : 1;
  }
  std::vector<absl::StatusOr<JobResult>> results;
  if (absl::GetFlag(FLAGS_submit)) {
    auto stub = Connect();
    auto submission = strata::coordinator::RunSweepOnCoordinator(*stub, *sweep, *points, progress);
    if (!absl::GetFlag(FLAGS_quiet)) {
      for (size_t i = 0; i < points->size(); ++i) {
        std::fprintf(stderr, "grid point %zu: job %s\n", i,
                     submission.job_ids[i].empty() ? "(not submitted)" : submission.job_ids[i].c_str());
      }
    }
    results = std::move(submission.results);
  } else {
    std::vector<strata::v1::JobSpec> jobs;
    for (const auto& p : *points) jobs.push_back(p.job);
    results = strata::coordinator::RunJobsConcurrently(jobs, parallel, progress);
  }
  const std::string csv_path = SweepCsvPath();
  std::vector<strata::coordinator::SweepRow> rows;
  for (size_t i = 0; i < points->size(); ++i) rows.push_back(strata::coordinator::MakeSweepRow((*points)[i], results[i]));
  const int failures = WriteSweepCsv(rows, csv_path);
  if (failures < 0) return Fail(absl::InvalidArgumentError(absl::StrCat("--csv: cannot write '", csv_path, "'")));
  std::printf("%zu grid points, %d failed; results in %s\n", points->size(), failures, csv_path.c_str());
  return failures == 0 ? 0 : 1;
}

// strata reproduce aif|nvllm: the seed paper's headline results beside ours
// (tables, CSV, plots); see docs/reproduction.md.
int ReproduceCommand(const std::string& paper) {
  strata::coordinator::ReproduceOptions o;
  o.quick = absl::GetFlag(FLAGS_quick);
  o.parallel = absl::GetFlag(FLAGS_jobs);
  if (o.parallel < 1 || o.parallel > 64) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("--jobs = ", o.parallel, "; allowed: 1 to 64")));
  }
  if (absl::GetFlag(FLAGS_seed) != 0) o.seed = absl::GetFlag(FLAGS_seed);
  const std::string fidelity = absl::GetFlag(FLAGS_fidelity);
  if (fidelity == "page") o.fidelity = strata::v1::PAGE;
  else if (fidelity == "stream" || fidelity.empty()) o.fidelity = strata::v1::STREAM;
  else return Fail(absl::InvalidArgumentError(absl::StrCat("--fidelity = '", fidelity, "'; allowed: page, stream")));
  if (!absl::GetFlag(FLAGS_quiet)) o.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  absl::StatusOr<strata::coordinator::Report> report;
  if (paper == "aif") report = strata::coordinator::ReproduceAif(o);
  else if (paper == "nvllm") report = strata::coordinator::ReproduceNvllm(o);
  else return Fail(absl::InvalidArgumentError(absl::StrCat("reproduce '", paper, "'; allowed: aif, nvllm")));
  if (!report.ok()) return Fail(report.status());
  std::printf("%s", strata::coordinator::FormatReport(*report).c_str());
  bool plots = false;
  const std::string dir = absl::GetFlag(FLAGS_out);
  if (absl::Status s = strata::coordinator::WriteReport(*report, dir, &plots); !s.ok()) return Fail(s);
  std::printf("\ntables (CSV, text)%s written to %s/\n", plots ? " and plots (PNG, SVG)" : " (no gnuplot: plot scripts only)",
              dir.c_str());
  return 0;
}

// strata describe [SYSTEM]: every parameter of a system with its default,
// unit, allowed range and source (services/systems/core/parameters.h).
int DescribeCommand(const std::string& system) {
  auto text = strata::systems::DescribeSystems(system, absl::GetFlag(FLAGS_format).empty() ? "text" : absl::GetFlag(FLAGS_format));
  if (!text.ok()) return Fail(text.status());
  std::fputs(text->c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  strata::partition::SelectPollingEngine();  // before any gRPC call (submit, watch, sweep --submit)
  // `--dry-run` is how the flag reads in docs and habits; Abseil names it dry_run.
  static char dry_run[] = "--dry_run";
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--dry-run") argv[i] = dry_run;
  }
  std::vector<char*> args = strata::ParseCommandLineOrExit(argc, argv, "strata",
      "strata run JOB.textproto [--output F.json] [--csv F.csv] [--partitions N|auto] [--sync window|null] [--seed S]\n"
      "  strata run JOB.textproto --dry-run   (the admission estimate: peak memory, events, wall time; no run)\n"
      "  strata models\n"
      "  strata describe [SYSTEM] [--format text|json]   (every parameter: default, unit, range, source)\n"
      "  strata submit JOB.textproto [--server HOST:PORT] [--watch] [--request_id KEY]\n"
      "  strata watch ID [--output F.json] [--csv F.csv] | strata cancel ID\n"
      "  strata list [--state STATE] [--format table|json]   (submit, watch, cancel, list take --server)\n"
      "  strata sweep SWEEP.textproto [--csv out.csv] [--jobs N | --submit [--server HOST:PORT]]\n"
      "  strata sweep SWEEP.textproto --shard I/N --results_dir DIR [--jobs N]   (one shard of a cluster sweep)\n"
      "  strata sweep --merge DIR [--csv out.csv]\n"
      "  strata reproduce aif|nvllm [--quick] [--fidelity page|stream] [--out DIR] [--jobs N]\n"
      "  strata health [--server HOST:PORT] [--health_service NAME]   (exit 0 when SERVING)\n"
      "Client commands take --tls_ca (and --tls_cert, --tls_key) for TLS, and --token_file or $STRATA_TOKEN for a\n"
      "bearer token (docs/security.md).\n"
      "Exit codes: 0 success, 1 failure, 2 bad input (the message names the field or flag).");
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
  const std::string command = args.size() >= 2 ? args[1] : "";
  if (auto security = strata::RpcSecurityFromFlags(); security.ok()) {
    strata::SetProcessRpcSecurity(*security);
  } else {
    std::fprintf(stderr, "strata: %s\n", std::string(security.status().message()).c_str());
    return strata::kExitBadInput;
  }
  if (args.size() == 3 && command == "run") return RunCommand(args[2]);
  if (args.size() == 3 && command == "submit") return SubmitCommand(args[2]);
  if (args.size() == 3 && command == "watch") return WatchCommand(args[2]);
  if (args.size() == 3 && command == "cancel") return CancelCommand(args[2]);
  if (args.size() == 2 && command == "list") return ListCommand();
  if (args.size() == 2 && command == "health") return HealthCommand();
  if (args.size() == 2 && command == "sweep" && !absl::GetFlag(FLAGS_merge).empty()) {
    return MergeCommand(absl::GetFlag(FLAGS_merge));
  }
  if (args.size() == 3 && command == "sweep") return SweepCommand(args[2]);
  if (args.size() == 3 && command == "reproduce") return ReproduceCommand(args[2]);
  if ((args.size() == 2 || args.size() == 3) && command == "describe") return DescribeCommand(args.size() == 3 ? args[2] : "");
  std::fprintf(stderr, "usage: %s\n", absl::ProgramUsageMessage().data());
  return 2;
}
