// From a normalised job spec to its component graph (BuildJob: the decode
// driver, then the system's parts from its SystemBuilder), and from a
// finished run's figures to a strata.v1.JobResult. Used by `strata run`, the
// coordinator and every partition service: all build the same graph.
#ifndef STRATA_SYSTEMS_JOB_BUILD_JOB_H_
#define STRATA_SYSTEMS_JOB_BUILD_JOB_H_

#include <atomic>
#include <functional>

#include "absl/status/statusor.h"
#include "services/systems/core/built_job.h"
#include "services/systems/core/run_summary.h"
#include "strata/v1/job.pb.h"
#include "strata/v1/partition_service.pb.h"

namespace strata::systems {

// `cancel` (may be null): CANCELLED soon after it turns true, also in the
// middle of a long build (a 2^25-block NAND array takes seconds).
absl::StatusOr<BuiltJob> BuildJob(const v1::JobSpec& normalized, const std::atomic<bool>* cancel = nullptr);

// The figures a JobResult is computed from, read from the components that
// ran in this process (`ran_here`): the driver's only if it ran here,
// resources as sums (zero for components that ran elsewhere).
v1::JobFigures ExtractFigures(const BuiltJob& job, const std::function<bool(sim::ComponentId)>& ran_here);
// Adds one process's figures to `total` (resources by position: every
// process builds the same job, so they list the same resources).
void MergeFigures(const v1::JobFigures& part, v1::JobFigures* total);

// The JobResult of a normalised spec's finished run. INTERNAL when the
// driver did not finish every token.
absl::StatusOr<v1::JobResult> ResultFromFigures(const v1::JobSpec& normalized, const BuiltJob& job,
                                                const v1::JobFigures& figures, const RunSummary& run);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_JOB_BUILD_JOB_H_
