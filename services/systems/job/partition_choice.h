// PartitionChoice: how many partitions a job runs on when its spec says
// `simulation { auto_partitions: true }` (`strata run --partitions=auto`),
// and where the cuts go.
//
// A pilot runs the job's first kPilotEvents events on one partition and
// counts the events each component handled. Each candidate count (2, 4, 8
// ... up to the cores and the graph's groups) is planned with those counts
// as weights, so a partition gets a share of the work actually done rather
// than of the components, and run threaded over the same simulated slice.
// Its cost in events is the busiest partition's events plus its windows
// (or null messages) times kWindowCostInEvents; the count with the lowest
// cost wins if it beats one partition by kRequiredGain. Everything the
// choice reads is a count, never a clock, so the same job on the same core
// count always picks the same plan (and every plan gives the same digest).
//
// A job shorter than the pilot has finished inside it: its run is the
// result, with no second run.
#ifndef STRATA_SYSTEMS_JOB_PARTITION_CHOICE_H_
#define STRATA_SYSTEMS_JOB_PARTITION_CHOICE_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/systems/core/built_job.h"
#include "strata/sim/engine.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

// Pilot length: about half a second of one partition on the reference
// machine (~5 M events/s), a few percent of the 70B PAGE runs it is for.
inline constexpr uint64_t kPilotEvents = uint64_t{1} << 21;
// One window barrier (or null-message exchange) costs as much wall time as
// this many events. Measured on the reference 2-core VM in one session:
// the threaded window floor (strata-phold --lps=2 --partitions=2 --remote=1
// --events_per_lp=1 --lookahead_ns=1000 --mean_delay_ns=0) at 2.7 us per
// window against ~170 ns per event of LLaMA-2-70B NVLLM PAGE on one
// partition (strata-decode-bench). Another machine moves both; the ratio
// changes with its cache-line handoff cost (docs/performance.md).
inline constexpr double kWindowCostInEvents = 16;
// A plan must promise this much over one partition: below it, the pilot's
// own cost and the estimate's error eat the gain.
inline constexpr double kRequiredGain = 1.15;

// A job whose estimated events (job_estimate.h) are under this many
// pilots runs on one partition with no pilot. Why 4: the pilot plus one
// trial on two partitions cost about 1.5 pilots of one-partition time, and
// two partitions run the rest at best ~1.9x faster, so the search pays
// back only above ~3.2 pilots; 4 leaves room for the estimate's error
// (0.74-1.01 of the measured events, docs/admission.md). Measured: a
// 2.3 M-event LLaMA-2-7B PAGE job ran 2.07x slower with the pilot than on
// one partition.
inline constexpr double kPilotsWorthSearching = 4;

struct PartitionChoice {
  int partitions = 1;
  std::optional<sim::PartitionPlan> plan;  // weighted by the pilot's events
  std::string reason;                      // one line: the pilot's figures and the pick
  // Set when the job ended inside the pilot: the finished run and its graph.
  std::optional<sim::RunResult> finished_run;
  std::optional<BuiltJob> finished_job;
};

// `options` supplies seed, sync and event set (partitions, plan and
// end_time are the pilot's own). `cores`: the hardware threads to use.
// `pilot_events`: the pilot's length (tests shorten it to try small jobs).
// `built`: a graph of `normalized` that has not run, for the pilot to run
// on (it is consumed), so a job that ends inside the pilot is built once.
// Errors: the job's own build and run errors; CANCELLED when `cancel` is set.
absl::StatusOr<PartitionChoice> ChoosePartitions(const v1::JobSpec& normalized, const sim::RunOptions& options,
                                                 int cores, uint64_t pilot_events = kPilotEvents,
                                                 std::optional<BuiltJob> built = std::nullopt);

// The reason line when `normalized` is estimated too short for a pilot to
// pay back (under kPilotsWorthSearching pilots); nullopt when it is not, or
// when its system has no calibrated event estimate.
std::optional<std::string> TooShortForAPilot(const v1::JobSpec& normalized, uint64_t pilot_events = kPilotEvents);

// What a pilot alone tells a placement whose partition count is already
// fixed (a distributed job's services): the events each component handled
// in the job's first `pilot_events` events on one partition (the whole job
// when it is shorter). `built`, as for ChoosePartitions, saves a build.
struct PilotCounts {
  std::vector<double> events_by_component;
  uint64_t events = 0;
  sim::SimTime final_time;
  // The graph the pilot ran on: its groups, links and names are still
  // those of the job (what a placement and a result read), its state not.
  BuiltJob job;
};
absl::StatusOr<PilotCounts> CountPilotEvents(const v1::JobSpec& normalized, const sim::RunOptions& options,
                                             uint64_t pilot_events = kPilotEvents,
                                             std::optional<BuiltJob> built = std::nullopt);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_JOB_PARTITION_CHOICE_H_
