#include "services/systems/job/partition_choice.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/systems/job/build_job.h"
#include "services/systems/job/job_estimate.h"
#include "strata/sim/partitioner.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {
namespace {

// The options every pilot shares with the real run: what makes the run
// the same run. Progress and sampling hooks stay with the real run.
sim::RunOptions PilotOptions(const sim::RunOptions& options) {
  sim::RunOptions pilot;
  pilot.seed = options.seed;
  pilot.sync = options.sync;
  pilot.event_set = options.event_set;
  pilot.end_time = options.end_time;
  pilot.cancel = options.cancel;
  return pilot;
}

struct Candidate {
  int partitions = 1;
  uint64_t busiest_events = 0;
  uint64_t sync_steps = 0;  // windows, or null messages per partition
  double cost = 0;          // in events
  double gain = 1;          // over one partition
};

// The slice [0, end) run on `partitions` threads with the weighted plan.
absl::StatusOr<Candidate> TryCandidate(const v1::JobSpec& spec, const sim::RunOptions& pilot, int partitions,
                                       const std::vector<double>& weights, sim::SimTime end) {
  ASSIGN_OR_RETURN(BuiltJob job, BuildJob(spec, pilot.cancel));
  ASSIGN_OR_RETURN(sim::PartitionPlan plan, sim::PartitionByGroup(*job.sim, partitions, weights));
  sim::RunOptions options = pilot;
  options.partitions = partitions;
  options.plan = std::move(plan);
  options.end_time = std::min(pilot.end_time, end);
  ASSIGN_OR_RETURN(const sim::RunResult run, sim::Run(*job.sim, options));
  Candidate c;
  c.partitions = partitions;
  for (const sim::PartitionStats& p : run.partitions) c.busiest_events = std::max(c.busiest_events, p.committed_events);
  const sim::SyncCost sync = sim::SyncCostOf(run.partitions);
  c.sync_steps = options.sync == sim::SyncAlgorithm::kWindow ? sync.windows : sync.null_messages / partitions;
  c.cost = static_cast<double>(c.busiest_events) + static_cast<double>(c.sync_steps) * kWindowCostInEvents;
  c.gain = c.cost > 0 ? static_cast<double>(run.committed_events) / c.cost : 1;
  return c;
}

struct Pilot {
  BuiltJob job;
  sim::RunResult run;
};

// The job's first `pilot_events` events on one partition, on `built` when
// given (a graph of `normalized` that has not run).
absl::StatusOr<Pilot> RunPilot(const v1::JobSpec& normalized, const sim::RunOptions& options, uint64_t pilot_events,
                               std::optional<BuiltJob> built = std::nullopt) {
  if (!built) {
    ASSIGN_OR_RETURN(built, BuildJob(normalized, options.cancel));
  }
  BuiltJob job = std::move(*built);
  sim::RunOptions first = PilotOptions(options);
  first.partitions = 1;
  first.stop_after_events = pilot_events;
  ASSIGN_OR_RETURN(sim::RunResult run, sim::Run(*job.sim, first));
  return Pilot{std::move(job), std::move(run)};
}

}  // namespace

std::optional<std::string> TooShortForAPilot(const v1::JobSpec& normalized, uint64_t pilot_events) {
  const absl::StatusOr<JobEstimate> estimate = EstimateJob(normalized);
  if (!estimate.ok() || !estimate->events_calibrated) return std::nullopt;
  const double enough = kPilotsWorthSearching * static_cast<double>(pilot_events);
  if (estimate->events >= enough) return std::nullopt;
  return absl::StrFormat("auto: estimated %.3g events, under %g pilots of %d: one partition, no pilot",
                         estimate->events, kPilotsWorthSearching, pilot_events);
}

absl::StatusOr<PilotCounts> CountPilotEvents(const v1::JobSpec& normalized, const sim::RunOptions& options,
                                             uint64_t pilot_events, std::optional<BuiltJob> built) {
  ASSIGN_OR_RETURN(Pilot pilot, RunPilot(normalized, options, pilot_events, std::move(built)));
  PilotCounts counts;
  counts.events_by_component.assign(pilot.run.events_by_component.begin(), pilot.run.events_by_component.end());
  counts.events = pilot.run.committed_events;
  counts.final_time = pilot.run.final_time;
  counts.job = std::move(pilot.job);
  return counts;
}

absl::StatusOr<PartitionChoice> ChoosePartitions(const v1::JobSpec& normalized, const sim::RunOptions& options,
                                                 int cores, uint64_t pilot_events, std::optional<BuiltJob> built) {
  const sim::RunOptions pilot_options = PilotOptions(options);
  ASSIGN_OR_RETURN(Pilot first, RunPilot(normalized, options, pilot_events, std::move(built)));
  BuiltJob& pilot_job = first.job;
  sim::RunResult& pilot = first.run;
  PartitionChoice choice;
  if (!pilot.stopped) {
    choice.reason = absl::StrCat("auto: the job ended inside the pilot (", pilot.committed_events,
                                 " events); one partition");
    choice.finished_run = std::move(pilot);
    choice.finished_job = std::move(pilot_job);
    return choice;
  }
  const std::vector<double> weights(pilot.events_by_component.begin(), pilot.events_by_component.end());
  const int most = std::min({std::max(cores, 1), sim::PartitionUnits(*pilot_job.sim), sim::kMaxPartitions});
  // Events at or after end_time do not run: one picosecond past the pilot's
  // last event covers the same slice.
  const sim::SimTime end = sim::SaturatingAdd(pilot.final_time, sim::SimTime::Picoseconds(1));
  Candidate best;
  std::string tried;
  for (int p = 2; p <= most; p *= 2) {
    ASSIGN_OR_RETURN(const Candidate c, TryCandidate(normalized, pilot_options, p, weights, end));
    absl::StrAppendFormat(&tried, "; %d partitions: busiest %d events + %d %s -> %.2fx", p, c.busiest_events,
                          c.sync_steps, options.sync == sim::SyncAlgorithm::kWindow ? "windows" : "null messages",
                          c.gain);
    if (c.gain > best.gain) best = c;
  }
  if (best.gain < kRequiredGain) best = Candidate{};
  choice.partitions = best.partitions;
  choice.reason = absl::StrFormat("auto: pilot of %d events to %s on up to %d cores%s; chose %d", pilot.committed_events,
                                  pilot.final_time.ToString(), most, tried, best.partitions);
  if (best.partitions > 1) {
    ASSIGN_OR_RETURN(choice.plan, sim::PartitionByGroup(*pilot_job.sim, best.partitions, weights));
  }
  return choice;
}

}  // namespace strata::systems
