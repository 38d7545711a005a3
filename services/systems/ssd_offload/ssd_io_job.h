// Plain block I/O as a job kind: JobSpec.ssd_io without a model runs a
// fio-like workload (SsdWorkload) on the SSD of system.ssd_offload (AiF's
// 1 TB TLC drive behind NVMe over PCIe 4.0 x4, the same FTL and NAND models
// the LLM systems use) and reports IOPS, bandwidth, latency percentiles and
// the FTL's write amplification during the run: what a user checks the
// flash model against other SSD simulators (MQSim, NVMeVirt) with.
// With a model, the same workload runs beside the SSD-offloading LLM job
// (ssd_offload_system.cc), on the span after the weights file,
// sharing the NVMe queue pair through an NvmeHostMux.
#ifndef STRATA_SYSTEMS_SSD_IO_JOB_H_
#define STRATA_SYSTEMS_SSD_IO_JOB_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/nand/flash/nand_config.h"
#include "services/systems/core/model_figures.h"
#include "services/controller/ssd/ssd_controller.h"
#include "services/controller/ssd/ssd_system.h"
#include "services/controller/workload/ssd_workload.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

// True for a plain I/O job (ssd_io set, no model).
bool IsSsdIoJob(const v1::JobSpec& spec);

// Fills ssd_io's defaults and checks its fields and the system
// (INVALID_ARGUMENT naming "ssd_io.<field>", the value and the range).
// The simulation settings are normalised by the caller.
absl::Status NormalizeSsdIo(v1::JobSpec* spec);

// Blocks per plane the FTL must manage to hold `pages` logical pages at the
// controller's over-provisioning, and at least PageFtl's GC reserve and open
// blocks. INVALID_ARGUMENT naming `what` when the NAND has fewer.
absl::StatusOr<uint32_t> FtlBlocksPerPlane(uint64_t pages, const nand::NandConfig& nand,
                                           const controller::SsdControllerConfig& controller, std::string_view what);

// The workload a normalised ssd_io asks for, over [offset, offset + span)
// bytes (span a multiple of the block).
controller::WorkloadConfig IoWorkloadConfig(const v1::SsdIoSpec& io, uint32_t lba_bytes, uint64_t offset_bytes,
                                            uint64_t span_bytes);
// The workload's figures, and the FTL's between `before` and `after`.
void FillIoResult(const controller::SsdWorkload& workload, const controller::FtlStats& before,
                  const controller::FtlStats& after, v1::SsdIoResult* out);

// system.ssd_offload.drive.precondition set on ssd_io's fields (NONE:
// precondition false; SEQUENTIAL and RANDOM_STEADY_STATE: true), refusing
// an ssd_io.precondition or random_prewrites that contradicts it.
absl::Status ApplyDrivePrecondition(const v1::DriveSpec& drive, v1::SsdIoSpec* io);

// After the sequential fill of [first_page, first_page + pages): untimed
// random overwrites of it, from a stream of the job's seed: ssd_io's
// random_prewrites, or with drive.precondition RANDOM_STEADY_STATE rounds
// until steady state (their figures into `report`'s precondition_* fields,
// when not null). CANCELLED soon after `cancel` (may be null) is set.
absl::Status AgeDrive(const v1::SsdIoSpec& io, const v1::DriveSpec& drive, uint64_t seed, uint64_t first_page,
                      uint64_t pages, controller::SsdController* controller, const std::atomic<bool>* cancel = nullptr,
                      v1::SsdIoResult* report = nullptr);

// The controller side of system.ssd_offload.scheduling (the channel's
// arbitration is in the NAND config).
// system.ssd_offload's ftl_mapping and hybrid_log_blocks_per_plane.
void ApplyFtlMapping(const v1::SsdOffloadSystem& drive, controller::SsdControllerConfig* controller);
void ApplyScheduling(const v1::SsdSchedulingSpec& scheduling, controller::SsdControllerConfig* controller);

// A plain I/O job's normalisation after the simulation settings: ssd_io's
// fields, and system.ssd_offload's drive (scheduling, FTL mapping, NAND).
absl::Status NormalizePlainIoJob(v1::JobSpec* spec);

// The SSD, its FTL's extent and the workload a normalised plain I/O job
// runs on `drive` (RunSsdIoJob builds it; the admission estimate sizes it).
absl::StatusOr<controller::SsdSystemConfig> PlainIoSsdConfig(const v1::JobSpec& normalized,
                                                             const nand::NandConfig& drive);

// The largest ssd_io.span_gib a normalised plain I/O job can have on
// `drive`: all the logical pages its FTL can manage at the job's
// over-provisioning (the whole drive less spare and the GC reserve).
double MaxSpanGib(const v1::JobSpec& normalized, const nand::NandConfig& drive);

// Runs a normalised plain I/O job on system.ssd_offload's drive.
absl::StatusOr<v1::JobResult> RunSsdIoJob(const v1::JobSpec& normalized, const std::atomic<bool>* cancel,
                                          std::function<void(const ModelFigures&)> on_model = {});
// The same on a given NAND (`drive`).
// `on_model` (may be empty): each partition's model figures during the run
// and at its end, as RunJob gives them.
absl::StatusOr<v1::JobResult> RunSsdIoJob(const v1::JobSpec& normalized, const nand::NandConfig& drive,
                                          const std::atomic<bool>* cancel,
                                          std::function<void(const ModelFigures&)> on_model = {});

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_SSD_IO_JOB_H_
