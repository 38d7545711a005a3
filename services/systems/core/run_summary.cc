#include "services/systems/core/run_summary.h"

namespace strata::systems {

sim::SyncAlgorithm SyncOf(const v1::JobSpec& normalized) {
  return normalized.simulation().sync() == v1::NULL_MESSAGE ? sim::SyncAlgorithm::kNullMessage
                                                            : sim::SyncAlgorithm::kWindow;
}

sim::EventSetKind EventSetOf(const v1::JobSpec& spec) {
  switch (spec.simulation().event_set()) {
    case v1::RADIX: return sim::EventSetKind::kRadixHeap;
    case v1::CALENDAR: return sim::EventSetKind::kCalendarQueue;
    default: return sim::EventSetKind::kQuaternaryHeap;
  }
}

void SetRunFields(const RunSummary& run, v1::JobResult* r) {
  r->set_simulated_seconds(run.final_time.ToSeconds());
  r->set_events(run.committed_events);
  r->set_wall_seconds(run.wall_seconds);
  r->set_digest(run.digest_hex);
  r->set_partitions(run.partitions);
  r->set_sync(std::string(sim::SyncAlgorithmName(run.sync)));
  if (run.partition_stats.size() < 2) return;  // one partition synchronises with nobody
  r->set_wire(run.wire);
  const sim::SyncCost cost = sim::SyncCostOf(run.partition_stats);
  r->set_windows(cost.windows);
  r->set_null_messages(cost.null_messages);
  r->set_blocked_fraction(cost.blocked_fraction);
}

}  // namespace strata::systems
