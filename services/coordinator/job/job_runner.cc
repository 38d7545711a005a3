#include "services/coordinator/job/job_runner.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "services/systems/job/partition_choice.h"
#include "services/systems/ssd_offload/ssd_io_job.h"
#include "strata/sim/engine.h"
#include "strata/sim/status_macros.h"

namespace strata::coordinator {

absl::StatusOr<v1::JobResult> RunJob(const v1::JobSpec& raw, std::function<void(const JobProgress&)> on_progress,
                                     const std::atomic<bool>* cancel,
                                     std::function<void(const ModelFigures&)> on_model) {
  ASSIGN_OR_RETURN(const v1::JobSpec spec, NormalizeJobSpec(raw));
  if (systems::IsSsdIoJob(spec)) return systems::RunSsdIoJob(spec, cancel, std::move(on_model));
  ASSIGN_OR_RETURN(BuiltJob job, BuildJob(spec, cancel));
  sim::RunOptions options;
  options.seed = spec.simulation().seed();
  options.partitions = spec.simulation().partitions();
  options.cancel = cancel;
  options.sync = SyncOf(spec);
  options.event_set = systems::EventSetOf(spec);
  std::string partition_choice;
  std::optional<sim::RunResult> run;
  std::optional<std::string> too_short;
  if (spec.simulation().auto_partitions()) too_short = systems::TooShortForAPilot(spec);
  if (too_short) {
    partition_choice = std::move(*too_short);
    options.partitions = 1;
  } else if (spec.simulation().auto_partitions()) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    // The pilot runs on the graph just built, so a job shorter than the
    // pilot is built once; a longer one is built again for its real run.
    ASSIGN_OR_RETURN(systems::PartitionChoice choice,
                     systems::ChoosePartitions(spec, options, cores, systems::kPilotEvents, std::move(job)));
    partition_choice = std::move(choice.reason);
    if (choice.finished_run) {  // the job ended inside the pilot: that run is the result
      job = std::move(*choice.finished_job);
      run = std::move(choice.finished_run);
      options.partitions = 1;
    } else {
      options.partitions = choice.partitions;
      options.plan = std::move(choice.plan);
      ASSIGN_OR_RETURN(job, BuildJob(spec, cancel));
    }
  }
  if (!run) {
    if (on_progress) {
      const host::DecodeDriver* driver = job.driver;
      const auto total = static_cast<uint32_t>(spec.workload().decode_tokens());
      options.on_progress = [driver, total, on_progress](const sim::ProgressSnapshot& s) {
        on_progress(JobProgress{s, driver->tokens_done_live(), total});
      };
    }
    if (on_model) options.on_sample = systems::ModelSampler(*job.sim, std::move(on_model));
    ASSIGN_OR_RETURN(run, sim::Run(*job.sim, options));
  }
  const RunSummary summary{run->final_time, run->committed_events, run->wall_seconds, run->digest_hex(),
                           options.partitions, options.sync, run->partitions};
  auto result = ResultFromFigures(spec, job, ExtractFigures(job, [](sim::ComponentId) { return true; }), summary);
  if (result.ok() && job.finish_result) job.finish_result(&*result);
  if (result.ok()) result->set_partition_choice(partition_choice);
  return result;
}

std::vector<absl::StatusOr<v1::JobResult>> RunJobsConcurrently(const std::vector<v1::JobSpec>& jobs, int parallel,
                                                              std::function<void(size_t, size_t)> on_done) {
  std::vector<absl::StatusOr<v1::JobResult>> results(jobs.size(), absl::UnknownError("not run"));
  std::atomic<size_t> next{0};
  size_t done = 0;
  std::mutex done_mu;
  std::vector<std::thread> workers;
  for (int w = 0; w < std::max(parallel, 1); ++w) {
    workers.emplace_back([&] {
      for (size_t i; (i = next++) < jobs.size();) {
        results[i] = RunJob(jobs[i]);
        std::lock_guard<std::mutex> lock(done_mu);
        ++done;
        if (on_done) on_done(done, jobs.size());
      }
    });
  }
  for (auto& t : workers) t.join();
  return results;
}

}  // namespace strata::coordinator
