#include "distributed/distributed_job.h"

#include "absl/strings/str_cat.h"
#include "distributed/distributed_run.h"
#include "services/systems/job/partition_choice.h"
#include "strata/sim/digest.h"

namespace strata::coordinator {

absl::StatusOr<v1::JobResult> RunDistributedJob(const v1::JobSpec& raw, ServiceDirectory& services,
                                                const std::string& run_id,
                                                std::function<void(const JobProgress&)> on_progress,
                                                const std::atomic<bool>* cancel) {
  auto spec = NormalizeJobSpec(raw);
  if (!spec.ok()) return spec.status();
  // The coordinator builds the graph too: to place its groups, and to read
  // the model and system names for the result. Only a pilot runs it.
  auto job = BuildJob(*spec, cancel);
  if (!job.ok()) return job.status();
  // With auto_partitions the services still fix the count; a pilot's
  // event counts balance each role's groups over its services. The pilot
  // runs on the graph just built, not a second one, and that graph places
  // and names the job as well after it ran.
  std::vector<double> weights;
  std::string partition_choice;
  if (spec->simulation().auto_partitions()) {
    sim::RunOptions pilot;
    pilot.seed = spec->simulation().seed();
    pilot.sync = SyncOf(*spec);
    pilot.event_set = systems::EventSetOf(*spec);
    pilot.cancel = cancel;
    auto counts = systems::CountPilotEvents(*spec, pilot, systems::kPilotEvents, std::move(*job));
    if (!counts.ok()) return counts.status();
    *job = std::move(counts->job);
    weights = std::move(counts->events_by_component);
    partition_choice = absl::StrCat("auto: pilot of ", counts->events, " events to ", counts->final_time.ToString(),
                                    "; groups placed on each role's services by their events");
  }
  // Just after a restart the services may not have registered again yet.
  auto enough = [&job](const std::vector<ServiceEndpoint>& s) { return PlaceByRole(*job->sim, s).ok(); };
  auto placement = PlaceByRole(*job->sim, services.AvailableWithinGrace(enough, cancel), weights);
  if (cancel != nullptr && *cancel) return absl::CancelledError("cancelled while waiting for services");
  if (!placement.ok()) return placement.status();
  if (absl::Status s = sim::CheckCrossPartitionLatency(*job->sim, placement->plan); !s.ok()) return s;

  DistributedRunRequest request;
  request.load.set_run_id(run_id);
  *request.load.mutable_job() = *spec;
  request.load.set_seed(spec->simulation().seed());
  request.load.set_sync(spec->simulation().sync());
  request.placement = *placement;
  request.components = static_cast<uint32_t>(job->sim->size());
  request.cancel = cancel;
  using Wire = DistributedRunRequest::Wire;
  switch (spec->simulation().wire()) {
    case v1::WIRE_HUB: request.wire = Wire::kHub; break;
    case v1::WIRE_PEER: request.wire = Wire::kPeer; break;
    case v1::WIRE_STAR: request.wire = Wire::kStar; break;
    default: request.wire = Wire::kAuto; break;
  }
  if (on_progress) {
    const auto total = static_cast<uint32_t>(spec->workload().decode_tokens());
    request.on_progress = [on_progress, total](const DistributedProgress& p) {
      on_progress(JobProgress{p.kernel, p.tokens_done, total});
    };
  }
  auto run = RunDistributed(request);
  if (!run.ok()) return run.status();
  const RunSummary summary{run->final_time,
                           run->committed_events,
                           run->wall_seconds,
                           sim::DigestToHex(run->digest),
                           placement->plan.partition_count,
                           SyncOf(*spec),
                           run->partitions,
                           WireName(run->wire)};
  auto result = ResultFromFigures(*spec, *job, run->figures, summary);
  if (result.ok()) result->set_partition_choice(partition_choice);
  return result;
}

}  // namespace strata::coordinator
