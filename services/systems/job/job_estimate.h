// The admission estimate: what a normalised job will cost before anything
// is built, from its spec alone (docs/admission.md documents every term and
// the error band measured against real runs). `strata run --dry-run` prints
// it; the coordinator refuses a job over --max_job_memory_gib or
// --max_job_events with it, at submit time.
#ifndef STRATA_SYSTEMS_JOB_JOB_ESTIMATE_H_
#define STRATA_SYSTEMS_JOB_JOB_ESTIMATE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

struct JobEstimate {
  // Peak resident memory of the process running the job alone, bytes:
  // the process's own baseline, the NAND array's block tables and the SSD
  // models' tables below.
  double memory_bytes = 0;
  double nand_blocks = 0;
  double block_state_bytes = 0;  // per NAND block (NandDie's wear state)
  // system.ssd_offload (LLM and plain I/O jobs): the FTL's tables, the page
  // cache's entries and the I/O workload's records (ssd_memory.h).
  double ftl_bytes = 0;
  double page_cache_bytes = 0;
  double io_record_bytes = 0;
  int layers = 0;
  // Committed events: layers x (decode_tokens x events per layer-token +
  // fixed events per layer: prefill and setup), per system and fidelity (the
  // table in job_estimate.cc, measured by scripts/admission_calibrate.sh).
  double events = 0;
  double events_per_layer_token = 0;
  double fixed_events_per_layer = 0;
  // The job's weight bytes per layer over OPT-30B INT8's (the calibration
  // model): page-grained events scale with it.
  double bytes_scale = 1;
  // The job's flash planes over the calibration job's: STREAM events
  // scale with it.
  double planes_scale = 1;
  // Plain I/O jobs (ssd_io): commands x events per command + fixed events
  // (per command by direction, measured by scripts/admission_calibrate.sh,
  // times the flash pages one command covers). 0 commands: not an I/O job,
  // or one bounded by duration only (its command count is not known).
  double io_commands = 0;
  double events_per_command = 0;
  double fixed_io_events = 0;
  // False for a system without a measured row: events stay 0 and the
  // events limit cannot refuse it.
  bool events_calibrated = false;
};

// `normalized`: a spec NormalizeJobSpec accepted.
absl::StatusOr<JobEstimate> EstimateJob(const v1::JobSpec& normalized);

// Admission limits; 0 turns a limit off.
struct AdmissionLimits {
  double max_job_memory_gib = 0;
  double max_job_events = 0;
};
// RESOURCE_EXHAUSTED naming the estimate, the limit and its flag when the
// estimate is over a limit; OK otherwise.
absl::Status CheckAdmission(const JobEstimate& estimate, const AdmissionLimits& limits);

// The events/s the dry run's wall-time figure assumes: `strata run` of
// configs/opt-30b-nvllm.textproto (STREAM) measured 1.7e6 events/s on one
// partition of the 2-core build machine (docs/admission.md).
inline constexpr double kDryRunEventsPerSecond = 2e6;

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_JOB_JOB_ESTIMATE_H_
