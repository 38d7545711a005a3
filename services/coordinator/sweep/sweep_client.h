// Sweeps on a coordinator: every grid point becomes a job in the
// coordinator's queue (which runs --max_concurrent_jobs at a time, and
// distributed points on its partition services), and the results come back
// in grid order, so `strata sweep --submit` writes the same CSV as a local
// sweep.
#ifndef STRATA_COORDINATOR_SWEEP_SWEEP_CLIENT_H_
#define STRATA_COORDINATOR_SWEEP_SWEEP_CLIENT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "strata/v1/job_service.grpc.pb.h"
#include "strata/v1/sweep.pb.h"
#include "sweep/sweep.h"

namespace strata::coordinator {

struct SweepSubmission {
  // Result i belongs to point i: the job's result, or why it did not
  // succeed (its error, naming the job id, or the failed RPC).
  std::vector<absl::StatusOr<v1::JobResult>> results;
  std::vector<std::string> job_ids;  // "" where the submit failed
};

// The idempotency key of point `index` of `sweep`: a stable hash of the
// sweep spec and the index, so submitting the same sweep again (say after
// the client was interrupted) attaches to the jobs it already submitted
// instead of running the grid twice.
std::string SweepRequestId(const v1::SweepSpec& sweep, size_t index);

// Submits every point, then waits for each job to end (WatchJob, no
// deadline: a point may run for hours). `on_done` (may be empty) is called
// after each point with (done, total).
SweepSubmission RunSweepOnCoordinator(v1::JobService::StubInterface& stub, const v1::SweepSpec& sweep,
                                      const std::vector<SweepPoint>& points,
                                      std::function<void(size_t, size_t)> on_done = {});

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_SWEEP_SWEEP_CLIENT_H_
