// strata-phold: the PHOLD benchmark on the strata kernel. Prints committed
// events, wall time, committed events/s, per-partition sync statistics,
// kernel memory per pending event and the run digest.
//
//   build/bin/strata-phold --lps=1024 --events_per_lp=16 --remote=0 --partitions=1
#include <cstdio>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "phold/phold.h"
#include "strata/common/command_line.h"
#include "strata/sim/engine.h"

ABSL_FLAG(int, lps, 1024, "logical processes, 1 to 1000000");
ABSL_FLAG(int, events_per_lp, 16, "initial events per LP, 0 to 100000");
ABSL_FLAG(int, partitions, 1, "partitions, each on its own thread, 1 to 256");
ABSL_FLAG(double, remote, 0.0, "fraction of events sent to another LP, 0 to 1");
ABSL_FLAG(double, lookahead_ns, 1000, "LP-to-LP link latency in ns (> 0); the lookahead");
ABSL_FLAG(double, mean_delay_ns, 1000, "mean of the exponential delay added to every event, ns (>= 0)");
ABSL_FLAG(double, end_us, 2000, "simulated end time in us (> 0)");
ABSL_FLAG(std::string, sync, "window", "synchronisation: window | null");
ABSL_FLAG(std::string, event_set, "heap4", "pending-event set: heap4 | heap4-inline | calendar | radix");
ABSL_FLAG(uint64_t, seed, 1, "run seed");
ABSL_FLAG(int, lps_per_group, 0, "LPs kept together by the partitioner (0: spread each LP)");
ABSL_FLAG(bool, progress, false, "print progress to stderr every second");

int main(int argc, char** argv) {
  strata::ParseCommandLineOrExit(argc, argv, "strata-phold",
                                 "strata-phold [--lps=N] [--partitions=N] [--remote=F] ...\n"
                                 "The PHOLD benchmark on the strata kernel.");
  using strata::sim::SimTime;

  auto sync = strata::sim::ParseSyncAlgorithm(absl::GetFlag(FLAGS_sync));
  auto event_set = strata::sim::ParseEventSetKind(absl::GetFlag(FLAGS_event_set));
  for (const absl::Status& s : {sync.status(), event_set.status()}) {
    if (!s.ok()) {
      std::fprintf(stderr, "strata-phold: %s\n", std::string(s.message()).c_str());
      return 2;
    }
  }
  if (!(absl::GetFlag(FLAGS_end_us) > 0)) {
    std::fprintf(stderr, "strata-phold: end_us = %g; allowed: > 0\n", absl::GetFlag(FLAGS_end_us));
    return 2;
  }
  strata::sim::phold::PholdConfig config;
  config.lps = absl::GetFlag(FLAGS_lps);
  config.events_per_lp = absl::GetFlag(FLAGS_events_per_lp);
  config.remote_fraction = absl::GetFlag(FLAGS_remote);
  config.lookahead = SimTime::FromNanoseconds(absl::GetFlag(FLAGS_lookahead_ns));
  config.mean_delay = SimTime::FromNanoseconds(absl::GetFlag(FLAGS_mean_delay_ns));
  config.lps_per_group = absl::GetFlag(FLAGS_lps_per_group);

  strata::sim::Simulation sim;
  if (absl::Status s = BuildPhold(config, &sim); !s.ok()) {
    std::fprintf(stderr, "strata-phold: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  strata::sim::RunOptions options;
  options.partitions = absl::GetFlag(FLAGS_partitions);
  options.sync = *sync;
  options.event_set = *event_set;
  options.seed = absl::GetFlag(FLAGS_seed);
  options.end_time = SimTime::FromMicroseconds(absl::GetFlag(FLAGS_end_us));
  if (absl::GetFlag(FLAGS_progress)) {
    options.on_progress = [&](const strata::sim::ProgressSnapshot& s) {
      std::fprintf(stderr, "progress: sim %s of %s, %.3g events, %.3g events/s, %.3g x real time\n",
                   s.simulated_time.ToString().c_str(), options.end_time.ToString().c_str(),
                   static_cast<double>(s.committed_events), s.committed_events / s.wall_seconds,
                   s.simulated_time.ToSeconds() / s.wall_seconds);
    };
  }
  auto result = strata::sim::Run(sim, options);
  if (!result.ok()) {
    std::fprintf(stderr, "strata-phold: %s\n", result.status().ToString().c_str());
    return result.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  const auto& r = *result;
  uint64_t peak_pending = 0, set_bytes = 0;
  for (const auto& p : r.partitions) {
    peak_pending += p.peak_pending_events;
    set_bytes += p.event_set_bytes;
  }
  std::printf("PHOLD lps=%d events_per_lp=%d remote=%.3f lookahead=%s mean_delay=%s end=%s\n", config.lps,
              config.events_per_lp, config.remote_fraction, config.lookahead.ToString().c_str(),
              config.mean_delay.ToString().c_str(), options.end_time.ToString().c_str());
  std::printf("engine partitions=%d sync=%s event_set=%s seed=%llu\n", options.partitions,
              std::string(SyncAlgorithmName(options.sync)).c_str(),
              std::string(EventSetKindName(options.event_set)).c_str(),
              static_cast<unsigned long long>(options.seed));
  std::printf("committed_events      %llu\n", static_cast<unsigned long long>(r.committed_events));
  std::printf("wall_seconds          %.4f\n", r.wall_seconds);
  std::printf("committed_events_per_s %.4g\n", r.committed_events_per_second());
  std::printf("final_time            %s\n", r.final_time.ToString().c_str());
  std::printf("event_bytes           %zu (24 header + %zu payload)\n", sizeof(strata::sim::Event),
              strata::sim::kEventPayloadBytes);
  const double bytes_per_pending =
      peak_pending ? static_cast<double>(set_bytes) / static_cast<double>(peak_pending) : 0.0;
  std::printf("event_set_bytes_per_pending_event %.1f (event-set memory %llu B / peak pending %llu)\n",
              bytes_per_pending, static_cast<unsigned long long>(set_bytes),
              static_cast<unsigned long long>(peak_pending));
  // What the kernel spends beyond the model's own payload bytes.
  std::printf("kernel_overhead_bytes_per_pending_event %.1f (the above less the %zu-byte model payload)\n",
              bytes_per_pending - static_cast<double>(strata::sim::kEventPayloadBytes),
              strata::sim::kEventPayloadBytes);
  std::printf("%-9s %12s %12s %10s %10s %10s %9s %10s %9s\n", "partition", "events", "events/s", "remote_out",
              "messages", "null_msgs", "windows", "recoveries", "blocked_s");
  for (const auto& p : r.partitions) {
    std::printf("%-9d %12llu %12.4g %10llu %10llu %10llu %9llu %10llu %9.3f\n", p.partition,
                static_cast<unsigned long long>(p.committed_events), p.committed_events_per_second(),
                static_cast<unsigned long long>(p.remote_events_sent),
                static_cast<unsigned long long>(p.messages_sent),
                static_cast<unsigned long long>(p.null_messages_sent), static_cast<unsigned long long>(p.windows),
                static_cast<unsigned long long>(p.recoveries), p.blocked_seconds);
  }
  std::printf("digest                %s\n", r.digest_hex().c_str());
  return 0;
}
