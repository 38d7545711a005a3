// The kernel's side of a finished run and how it lands in a JobResult: the
// same for every job kind (LLM decoding or plain SSD I/O).
#ifndef STRATA_SYSTEMS_CORE_RUN_SUMMARY_H_
#define STRATA_SYSTEMS_CORE_RUN_SUMMARY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "strata/sim/engine.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

struct RunSummary {
  sim::SimTime final_time;
  uint64_t committed_events = 0;
  double wall_seconds = 0;
  std::string digest_hex;
  int partitions = 1;
  sim::SyncAlgorithm sync = sim::SyncAlgorithm::kWindow;
  std::vector<sim::PartitionStats> partition_stats;  // for the sync-cost fields
  std::string wire = "threads";                       // JobResult.wire
};

// The kernel's figures of a run into its result (any job kind).
void SetRunFields(const RunSummary& run, v1::JobResult* result);
// simulation.sync of a normalised spec as the kernel's algorithm.
sim::SyncAlgorithm SyncOf(const v1::JobSpec& normalized);
// simulation.event_set as the kernel's pending-event set.
sim::EventSetKind EventSetOf(const v1::JobSpec& spec);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CORE_RUN_SUMMARY_H_
