// Running jobs: RunJob normalises a strata.v1.JobSpec, builds its graph
// (services/systems), runs it on the kernel and returns its JobResult;
// RunJobsConcurrently runs many. Used by `strata run`, sweeps, reproduce and
// the coordinator service.
//
// The job-level API of services/systems (spec parsing and normalising,
// BuildJob, figures and results) is re-exported here under
// strata::coordinator for the callers that used it from this header.
#ifndef STRATA_COORDINATOR_JOB_JOB_RUNNER_H_
#define STRATA_COORDINATOR_JOB_JOB_RUNNER_H_

#include <atomic>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "services/systems/core/model_figures.h"
#include "services/systems/core/run_summary.h"
#include "services/systems/core/spec_fields.h"
#include "services/systems/job/build_job.h"
#include "services/systems/job/job_progress.h"
#include "services/systems/job/job_spec.h"
#include "services/systems/job/spec_admission.h"
#include "strata/v1/job.pb.h"

namespace strata::coordinator {

using systems::BuildJob;
using systems::CheckSpecAdmission;
using systems::InvalidUtf8FieldPath;
using systems::IsValidUtf8;
using systems::kMaxEchoedChars;
using systems::kMaxRequestIdBytes;
using systems::kMaxSpecRepeatedEntries;
using systems::kMaxSpecStringBytes;
using systems::TruncateForMessage;
using systems::BuiltJob;
using systems::ExtractFigures;
using systems::Invalid;
using systems::JobProgress;
using systems::LoadJobSpec;
using systems::MergeFigures;
using systems::ModelFigure;
using systems::ModelFigures;
using systems::ModelSampler;
using systems::kModelFigureCount;
using systems::NormalizeJobSpec;
using systems::ParseJobSpecJson;
using systems::ParseJobSpecText;
using systems::ParseTextFormat;
using systems::ReadTextFile;
using systems::ResultFromFigures;
using systems::RunSummary;
using systems::SetRunFields;
using systems::SyncOf;

// Builds, runs and summarises a job. `on_progress` (may be empty) is called
// about once a second from a monitor thread. `on_model` (may be empty) gets
// each partition's model figures about once a second, and once at its end,
// from that partition's thread (the kernel's on_sample).
// Setting *cancel stops the run with CANCELLED.
absl::StatusOr<v1::JobResult> RunJob(const v1::JobSpec& spec,
                                     std::function<void(const JobProgress&)> on_progress = {},
                                     const std::atomic<bool>* cancel = nullptr,
                                     std::function<void(const ModelFigures&)> on_model = {});

// Runs independent jobs, `parallel` at a time (each on one partition unless
// its spec says otherwise); result i belongs to job i. `on_done` (may be
// empty) is called, serialised, after each job with (done, total).
std::vector<absl::StatusOr<v1::JobResult>> RunJobsConcurrently(
    const std::vector<v1::JobSpec>& jobs, int parallel, std::function<void(size_t, size_t)> on_done = {});

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_JOB_JOB_RUNNER_H_
