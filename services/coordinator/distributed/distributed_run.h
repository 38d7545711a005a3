// RunDistributed: drives one run whose partitions live on other services.
//
// It opens one PartitionService.RunPartitions stream per service in the
// placement, loads each with the model and its partitions, serves the
// kernel wire through a PartitionHub (or, for window sync with one
// partition per service, lets the services exchange windows directly:
// PeerTransport), collects every service's statistics,
// tells them the global final time (the max of their local ones), and
// combines their per-component digests in component-id order exactly as
// the embedded engine does, so the digest is the embedded run's.
//
// Failure: a stream that breaks before its service reported (the process
// died, or stopped answering: gRPC keepalive gives up within about
// 3 s) aborts the run everywhere and returns UNAVAILABLE naming the lost
// partitions, their groups and the service.
#ifndef STRATA_COORDINATOR_DISTRIBUTED_DISTRIBUTED_RUN_H_
#define STRATA_COORDINATOR_DISTRIBUTED_DISTRIBUTED_RUN_H_

#include <atomic>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "distributed/placement.h"
#include "strata/sim/engine.h"
#include "strata/v1/partition_service.pb.h"

namespace strata::coordinator {

struct DistributedProgress {
  sim::ProgressSnapshot kernel;  // every partition's live figures
  uint32_t tokens_done = 0;
};

struct DistributedRunRequest {
  // Model, seed, sync and end time; plan and local_partitions are filled
  // from `placement`.
  v1::LoadPartitions load;
  Placement placement;
  uint32_t components = 0;  // in the coordinator's build of the graph
  std::function<void(const DistributedProgress&)> on_progress;  // about once a second
  const std::atomic<bool>* cancel = nullptr;  // set: CANCELLED
  // How window sync travels when every service runs one partition:
  //  kPeer: every service exchanges windows with every other directly
  //    (LoadPartitions.peers): n(n-1) messages per window, one hop.
  //  kStar: the services, with partition 0 gathering each window and
  //    answering (peer_star): 2(n-1) messages, two hops, the second in
  //    partition 0's own thread.
  //  kHub: every kernel call through the coordinator: 2n messages, two
  //    hops, and the coordinator's threads in between.
  //  kAuto: the fewest messages, then the fewest hops: kPeer for 2
  //    partitions, kStar for more (faster than the hub in every run
  //    measured, docs/distributed.md).
  // Null-message runs, and placements with several partitions on one
  // service, always use the hub.
  enum class Wire { kAuto, kHub, kPeer, kStar };
  Wire wire = Wire::kAuto;
};

struct DistributedRunResult {
  sim::SimTime final_time;
  uint64_t committed_events = 0;
  uint64_t digest = 0;
  double wall_seconds = 0;
  std::vector<sim::PartitionStats> partitions;  // by partition
  v1::JobFigures figures;                       // LLM jobs: merged over services
  DistributedRunRequest::Wire wire = DistributedRunRequest::Wire::kHub;  // the one used (never kAuto)
};

absl::StatusOr<DistributedRunResult> RunDistributed(const DistributedRunRequest& request);

// "coordinator hub", "peer to peer" or "star via partition 0" (JobResult.wire).
std::string WireName(DistributedRunRequest::Wire wire);

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_DISTRIBUTED_DISTRIBUTED_RUN_H_
