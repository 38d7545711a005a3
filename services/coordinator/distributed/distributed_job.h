// RunDistributedJob: an LLM job whose partitions run on the nand,
// controller and host services in a ServiceDirectory, with the same
// result (and bit-identical digest) as RunJob embedded. Requested with
// `simulation { distributed: true }`; `simulation.partitions` does not
// apply (one partition per service that receives groups).
#ifndef STRATA_COORDINATOR_DISTRIBUTED_DISTRIBUTED_JOB_H_
#define STRATA_COORDINATOR_DISTRIBUTED_DISTRIBUTED_JOB_H_

#include <atomic>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "distributed/service_directory.h"
#include "services/coordinator/job/job_runner.h"
#include "strata/v1/job.pb.h"

namespace strata::coordinator {

// Errors: INVALID_ARGUMENT for a bad spec; FAILED_PRECONDITION when a role
// the job needs has no live service; UNAVAILABLE naming the lost partition
// and service when one dies mid-run; CANCELLED when *cancel is set.
absl::StatusOr<v1::JobResult> RunDistributedJob(const v1::JobSpec& spec, ServiceDirectory& services,
                                                const std::string& run_id,
                                                std::function<void(const JobProgress&)> on_progress = {},
                                                const std::atomic<bool>* cancel = nullptr);

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_DISTRIBUTED_DISTRIBUTED_JOB_H_
