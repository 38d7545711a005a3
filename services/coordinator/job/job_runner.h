// Job building and running: from a strata.v1.JobSpec to a component graph
// (which components each system has and how they are linked), and from a
// finished run to a strata.v1.JobResult. Used by `strata run` and, later,
// by the coordinator service: both run the same graph.
#ifndef STRATA_COORDINATOR_JOB_JOB_RUNNER_H_
#define STRATA_COORDINATOR_JOB_JOB_RUNNER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "metrics/model_figures.h"
#include "model/model_catalog.h"
#include "strata/sim/engine.h"
#include "strata/sim/simulation.h"
#include "strata/v1/job.pb.h"
#include "strata/v1/partition_service.pb.h"
#include "compute/flash_gemv_executor.h"
#include "isc/controller_gemv_engine.h"
#include "ssd/ssd_controller.h"
#include "workload/ssd_workload.h"
#include "workload/decode_driver.h"

namespace strata::coordinator {

// Reads a whole file; NOT_FOUND names it and says what it was for.
absl::StatusOr<std::string> ReadTextFile(const std::string& path, std::string_view what);
// Parses protobuf text format; INVALID_ARGUMENT gives `what`, line and column.
absl::Status ParseTextFormat(const std::string& text, google::protobuf::Message* out, std::string_view what);

// Parses a job from text format (.textproto) or JSON (.json), by file name.
absl::StatusOr<v1::JobSpec> LoadJobSpec(const std::string& path);
absl::StatusOr<v1::JobSpec> ParseJobSpecText(const std::string& text);
absl::StatusOr<v1::JobSpec> ParseJobSpecJson(const std::string& json);

// INVALID_ARGUMENT "<field> = <value>; allowed: <allowed>": the one shape of
// a bad-field error in job specs.
absl::Status Invalid(std::string_view field, double value, std::string_view allowed);

// Fills unset fields with their documented defaults and checks every field;
// INVALID_ARGUMENT names the field path, the value and the allowed range.
absl::StatusOr<v1::JobSpec> NormalizeJobSpec(v1::JobSpec spec);

// A built job: the graph and the handles the result is read from.
struct BuiltJob {
  std::unique_ptr<sim::Simulation> sim;
  host::DecodeDriver* driver = nullptr;
  host::ModelShape shape;
  std::string system;
  // A resource whose utilisation the result reports: reads its busy time
  // (summed over its `units`, e.g. dies) and bytes moved after the run.
  // Sums, so that figures from processes that each ran some of the units
  // add up (components that ran elsewhere read zero).
  struct Resource {
    std::string name;
    std::function<sim::SimTime()> busy;
    std::function<int64_t()> bytes;
    int64_t units = 1;
  };
  std::vector<Resource> resources;
  // NVLLM: the flash GEMV executor (for tests that count pages).
  const host::FlashGemvExecutor* flash = nullptr;
  // AiF: the host side of the SSD (placement time).
  const class AifExecutor* aif = nullptr;
  // SSD offloading: the host CPU over the mmapped weights (page cache, reads).
  const class MmapGemvExecutor* mmap = nullptr;
  // SSD-like in-storage compute: the controller's GEMV units.
  const controller::ControllerGemvEngine* isc = nullptr;
  // SSD offloading with user I/O beside the model (JobSpec.ssd_io): the
  // user's workload, the controller, and its FTL counters before the run.
  const controller::SsdWorkload* io = nullptr;
  const controller::SsdController* ssd = nullptr;
  controller::FtlStats io_ftl_before;
};
absl::StatusOr<BuiltJob> BuildJob(const v1::JobSpec& normalized);

// The figures a JobResult is computed from, read from the components that
// ran in this process (`ran_here`): the driver's only if it ran here,
// resources as sums (zero for components that ran elsewhere).
v1::JobFigures ExtractFigures(const BuiltJob& job, const std::function<bool(sim::ComponentId)>& ran_here);
// Adds one process's figures to `total` (resources by position: every
// process builds the same job, so they list the same resources).
void MergeFigures(const v1::JobFigures& part, v1::JobFigures* total);

// The kernel's side of a finished run.
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
// The JobResult of a normalised spec's finished run. INTERNAL when the
// driver did not finish every token.
absl::StatusOr<v1::JobResult> ResultFromFigures(const v1::JobSpec& normalized, const BuiltJob& job,
                                                const v1::JobFigures& figures, const RunSummary& run);
sim::SyncAlgorithm SyncOf(const v1::JobSpec& normalized);

// Live progress of a running job.
struct JobProgress {
  sim::ProgressSnapshot kernel;
  uint32_t tokens_done = 0;
  uint32_t tokens_total = 0;
};

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
