// strata-ssd-bench: what a plain-SSD run costs (issue 18). For a random
// 4 KiB QD 32 read job (default: the MQSim-style MLC drive of
// configs/ssd-io-mqsim-mlc-randread-4k.textproto) run for each of
// --seconds simulated seconds, prints the commands, the events per command,
// the event loop's wall seconds per simulated second and the whole run's
// wall time (model build and preconditioning included); then builds the
// job's drive mapped whole (MaxSpanGib, no preconditioning, one command)
// and
// prints that build's wall time and the process's peak resident memory.
// --build_only does only the drive's build (normalise the job, size the FTL
// for the whole-drive span, BuildSsd: FTL tables, NAND array, controller),
// without running it, and prints the build's wall time and the process's
// peak resident memory: with nothing else in the process, that peak is the
// build's (run it under farm-bench -n 5 --vs to compare two binaries).
// Wall figures depend on the machine and its load: compare ratios taken
// side by side.
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "services/controller/ssd/ssd_system.h"
#include "services/coordinator/job/job_runner.h"
#include "services/systems/ssd_offload/ssd_io_job.h"
#include "services/systems/ssd_offload/ssd_offload_system.h"
#include "strata/common/command_line.h"
#include "strata/sim/engine.h"

ABSL_FLAG(std::string, job, STRATA_SOURCE_DIR "/configs/ssd-io-mqsim-mlc-randread-4k.textproto",
          "plain I/O job spec (textproto)");
ABSL_FLAG(std::string, seconds, "1,10", "simulated seconds of each timed run, comma-separated");
ABSL_FLAG(bool, build_only, false,
          "only build the job's drive mapped whole (no timed runs, nothing simulated) and print the build's wall "
          "time and peak RSS");

namespace {

namespace coordinator = strata::coordinator;
namespace v1 = strata::v1;

double PeakRssMib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is KiB on Linux
}

double RawGib(const v1::DriveSpec& d) {
  return static_cast<double>(d.channels()) * d.chips_per_channel() * std::max(d.dies_per_chip(), 1) *
         d.planes_per_die() * d.blocks_per_plane() * d.pages_per_block() * d.page_kib() / (1024.0 * 1024.0);
}

// The job with its span the whole drive (MaxSpanGib: raw less the
// over-provisioning and the GC reserve). Not preconditioned, reads only,
// one command.
absl::StatusOr<v1::JobSpec> WholeDriveJob(const v1::JobSpec& spec) {
  v1::JobSpec whole_drive = spec;
  whole_drive.mutable_ssd_io()->set_span_gib(1);
  whole_drive.mutable_ssd_io()->set_precondition(false);
  whole_drive.mutable_ssd_io()->set_write_fraction(0);
  whole_drive.mutable_ssd_io()->set_duration_s(0);
  whole_drive.mutable_ssd_io()->set_commands(1);
  auto normalized = coordinator::NormalizeJobSpec(whole_drive);
  if (!normalized.ok()) return normalized.status();
  const double max_gib = strata::systems::MaxSpanGib(
      *normalized, strata::systems::SsdOffloadNandConfig(normalized->system().ssd_offload(), normalized->simulation()));
  whole_drive.mutable_ssd_io()->set_span_gib(std::floor(max_gib * 1000) / 1000);
  return whole_drive;
}

// Builds the whole-drive job's SSD (what RunJob does before its first event)
// and prints the build's wall time and the peak RSS.
int BuildOnly(const v1::JobSpec& spec) {
  auto whole_drive = WholeDriveJob(spec);
  if (!whole_drive.ok()) {
    std::fprintf(stderr, "%s\n", std::string(whole_drive.status().message()).c_str());
    return 1;
  }
  const absl::Time start = absl::Now();
  auto normalized = coordinator::NormalizeJobSpec(*whole_drive);
  if (!normalized.ok()) {
    std::fprintf(stderr, "%s\n", std::string(normalized.status().message()).c_str());
    return 1;
  }
  const strata::nand::NandConfig nand =
      strata::systems::SsdOffloadNandConfig(normalized->system().ssd_offload(), normalized->simulation());
  auto config = strata::systems::PlainIoSsdConfig(*normalized, nand);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
    return 1;
  }
  strata::sim::Simulation sim;
  auto ssd = strata::controller::BuildSsd(*config, &sim);
  const double build = absl::ToDoubleSeconds(absl::Now() - start);
  if (!ssd.ok()) {
    std::fprintf(stderr, "%s\n", std::string(ssd.status().message()).c_str());
    return 1;
  }
  std::printf("build only: %.0f GiB raw drive, span %.1f GiB (%llu logical pages), not preconditioned: "
              "build %.3f s; peak RSS %.0f MiB\n",
              RawGib(normalized->system().ssd_offload().drive()), normalized->ssd_io().span_gib(),
              static_cast<unsigned long long>(ssd->controller->ftl().logical_pages()), build, PeakRssMib());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  strata::ParseCommandLineOrExit(argc, argv, "strata-ssd-bench",
                                 "strata-ssd-bench [--job=JOB.textproto] [--seconds=1,10] [--build_only]");
  auto spec = coordinator::LoadJobSpec(absl::GetFlag(FLAGS_job));
  if (!spec.ok() || !spec->has_ssd_io() || spec->has_model()) {
    std::fprintf(stderr, "--job: %s\n", spec.ok() ? "not a plain I/O job (ssd_io without a model)"
                                                   : std::string(spec.status().message()).c_str());
    return 2;
  }
  if (absl::GetFlag(FLAGS_build_only)) return BuildOnly(*spec);
  std::vector<double> durations;
  for (absl::string_view s : absl::StrSplit(absl::GetFlag(FLAGS_seconds), ',')) {
    double d = 0;
    if (!absl::SimpleAtod(s, &d) || d <= 0 || d > 3600) {
      std::fprintf(stderr, "--seconds: '%s'; allowed: numbers in (0, 3600]\n", std::string(s).c_str());
      return 2;
    }
    durations.push_back(d);
  }
  std::printf("%-10s %10s %12s %12s %14s %12s\n", "simulated", "commands", "events", "events/cmd",
              "loop_s/sim_s", "whole_run_s");
  for (double d : durations) {
    v1::JobSpec job = *spec;
    job.mutable_ssd_io()->set_duration_s(d);
    job.mutable_ssd_io()->set_commands(0);
    const absl::Time start = absl::Now();
    auto r = coordinator::RunJob(job);
    const double whole = absl::ToDoubleSeconds(absl::Now() - start);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", std::string(r.status().message()).c_str());
      return 1;
    }
    const double commands = static_cast<double>(r->ssd_io().commands());
    std::printf("%-10g %10.0f %12llu %12.2f %14.4f %12.3f\n", d, commands,
                static_cast<unsigned long long>(r->events()), static_cast<double>(r->events()) / commands,
                r->wall_seconds() / r->simulated_seconds(), whole);
  }
  // The whole drive mapped (its FTL tables and every die's block state),
  // nothing written: the model build alone.
  const double raw_gib = RawGib(spec->system().ssd_offload().drive());
  auto whole_drive = WholeDriveJob(*spec);
  if (!whole_drive.ok()) {
    std::fprintf(stderr, "%s\n", std::string(whole_drive.status().message()).c_str());
    return 1;
  }
  const absl::Time start = absl::Now();
  auto r = coordinator::RunJob(*whole_drive);
  const double build = absl::ToDoubleSeconds(absl::Now() - start);
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", std::string(r.status().message()).c_str());
    return 1;
  }
  std::printf("whole drive (%.0f GiB raw, span %.1f GiB), not preconditioned: build + 1 command %.3f s; peak RSS %.0f MiB\n",
              raw_gib, whole_drive->ssd_io().span_gib(), build, PeakRssMib());
  return 0;
}
