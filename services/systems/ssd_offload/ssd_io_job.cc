#include "services/systems/ssd_offload/ssd_io_job.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "services/systems/core/drive_spec.h"
#include "services/systems/core/run_summary.h"
#include "services/systems/core/spec_fields.h"
#include "services/systems/ssd_offload/ssd_offload_system.h"
#include "services/controller/ssd/ssd_system.h"
#include "strata/sim/engine.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

absl::Status OutOfRange(const char* field, double value, std::string_view allowed) {
  return Invalid(absl::StrCat("ssd_io.", field), value, allowed);
}

void Fill(v1::LatencyPercentiles* out, const controller::LatencySummary& s) {
  out->set_count(s.count);
  out->set_mean_us(s.mean.ToMicroseconds());
  out->set_p50_us(s.p50.ToMicroseconds());
  out->set_p99_us(s.p99.ToMicroseconds());
  out->set_p999_us(s.p999.ToMicroseconds());
  out->set_max_us(s.max.ToMicroseconds());
}

}  // namespace

bool IsSsdIoJob(const v1::JobSpec& spec) { return spec.has_ssd_io() && !spec.has_model(); }

absl::Status ApplyDrivePrecondition(const v1::DriveSpec& drive, v1::SsdIoSpec* io) {
  const v1::DrivePrecondition mode = drive.precondition();
  if (mode == v1::DRIVE_PRECONDITION_UNSPECIFIED) return absl::OkStatus();
  if (!v1::DrivePrecondition_IsValid(mode)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "system.ssd_offload.drive.precondition = ", static_cast<int>(mode),
        "; allowed: DRIVE_PRECONDITION_NONE, DRIVE_PRECONDITION_SEQUENTIAL, DRIVE_PRECONDITION_RANDOM_STEADY_STATE"));
  }
  const std::string name = v1::DrivePrecondition_Name(mode);
  const bool fill = mode != v1::DRIVE_PRECONDITION_NONE;
  if (io->has_precondition() && io->precondition() != fill) {
    return absl::InvalidArgumentError(absl::StrCat("ssd_io.precondition = ", io->precondition() ? "true" : "false",
                                                   " contradicts system.ssd_offload.drive.precondition = ", name,
                                                   "; allowed: leave ssd_io.precondition unset, or ",
                                                   fill ? "true" : "false"));
  }
  if (io->random_prewrites() != 0) {
    return absl::InvalidArgumentError(absl::StrCat("ssd_io.random_prewrites = ", io->random_prewrites(),
                                                   " with system.ssd_offload.drive.precondition = ", name,
                                                   "; allowed: 0 (the drive's precondition decides the writes)"));
  }
  io->set_precondition(fill);
  return absl::OkStatus();
}

absl::Status NormalizeSsdIo(v1::JobSpec* spec) {
  v1::SsdIoSpec* io = spec->mutable_ssd_io();
  if (!spec->system().has_ssd_offload()) {
    return absl::InvalidArgumentError(
        "system: ssd_io runs on the plain NVMe SSD, alone or beside an SSD-offloading LLM job; allowed: "
        "system.ssd_offload");
  }
  if (spec->simulation().distributed()) {
    return absl::InvalidArgumentError("simulation.distributed = true: plain I/O jobs run embedded; allowed: false");
  }
  if (io->pattern() == v1::SsdIoSpec::PATTERN_UNSPECIFIED) io->set_pattern(v1::SsdIoSpec::RANDOM);
  if (io->block_kib() == 0) io->set_block_kib(16);
  if (io->queue_depth() == 0) io->set_queue_depth(32);
  if (!(io->duration_s() >= 0 && io->duration_s() <= 3600)) {
    return OutOfRange("duration_s", io->duration_s(), "0 (no time limit) to 3600 simulated seconds");
  }
  if (io->commands() == 0 && io->duration_s() == 0) io->set_commands(20000);
  v1::DriveSpec* drive = spec->mutable_system()->mutable_ssd_offload()->mutable_drive();
  RETURN_IF_ERROR(ApplyDrivePrecondition(*drive, io));
  if (!io->has_precondition()) io->set_precondition(true);
  // One over-provisioning for the drive: ssd_io's (kept for the specs that
  // set it there) or the drive's.
  if (io->over_provisioning() == 0) {
    io->set_over_provisioning(drive->over_provisioning() > 0 ? drive->over_provisioning() : 0.07);
  } else if (drive->over_provisioning() > 0 && drive->over_provisioning() != io->over_provisioning()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ssd_io.over_provisioning = ", io->over_provisioning(), " differs from system.ssd_offload.drive.over_provisioning = ",
        drive->over_provisioning(), "; allowed: set one of them, or both to the same value"));
  }
  if (io->block_kib() < 4 || io->block_kib() > 1024 || io->block_kib() % 4 != 0) {
    return OutOfRange("block_kib", io->block_kib(), "4 to 1024, a multiple of 4 (the 4 KiB LBA)");
  }
  if (io->queue_depth() < 1 || io->queue_depth() > 1024) {
    return OutOfRange("queue_depth", io->queue_depth(), "1 to 1024 (the I/O queue's entries)");
  }
  if (!(io->write_fraction() >= 0 && io->write_fraction() <= 1)) {
    return OutOfRange("write_fraction", io->write_fraction(), "0 to 1");
  }
  // The drive's capacity bounds the span when the FTL is sized (FtlBlocksPerPlane).
  if (io->span_gib() != 0 && !(io->span_gib() * kGiB >= io->block_kib() * 1024.0 && io->span_gib() <= 1 << 20)) {
    return OutOfRange("span_gib", io->span_gib(), "0 (the whole drive) or one block to the drive's capacity");
  }
  if (io->commands() > 100'000'000 || io->commands() < (io->duration_s() > 0 ? 0 : 1)) {
    return OutOfRange("commands", io->commands(), "1 to 1e8, or 0 with duration_s set");
  }
  if (!(io->over_provisioning() > 0 && io->over_provisioning() <= 0.5)) {
    return OutOfRange("over_provisioning", io->over_provisioning(), "greater than 0 up to 0.5");
  }
  drive->set_over_provisioning(io->over_provisioning());
  if (io->random_prewrites() < 0 || io->random_prewrites() > 100'000'000) {
    return OutOfRange("random_prewrites", io->random_prewrites(), "0 to 1e8");
  }
  if (!io->precondition() && io->random_prewrites() > 0) {
    return absl::InvalidArgumentError("ssd_io.random_prewrites > 0 with precondition = false; allowed: precondition "
                                      "true (the random writes age a full drive)");
  }
  return absl::OkStatus();
}

controller::WorkloadConfig IoWorkloadConfig(const v1::SsdIoSpec& io, uint32_t lba_bytes, uint64_t offset_bytes,
                                            uint64_t span_bytes) {
  controller::WorkloadConfig w;
  w.pattern =
      io.pattern() == v1::SsdIoSpec::SEQUENTIAL ? controller::AccessPattern::kSequential : controller::AccessPattern::kRandom;
  w.block_bytes = static_cast<uint32_t>(io.block_kib()) * 1024;
  w.queue_depth = static_cast<uint32_t>(io.queue_depth());
  w.read_fraction = 1.0 - io.write_fraction();
  w.offset_bytes = offset_bytes;
  w.span_bytes = span_bytes;
  w.count = io.commands() > 0 ? static_cast<uint64_t>(io.commands()) : UINT64_MAX;
  w.duration = io.duration_s() > 0 ? sim::SimTime::FromSeconds(io.duration_s()) : sim::SimTime::Infinite();
  w.lba_bytes = lba_bytes;
  return w;
}

void FillIoResult(const controller::SsdWorkload& workload, const controller::FtlStats& before,
                  const controller::FtlStats& after, v1::SsdIoResult* out) {
  const controller::SsdWorkload::Result w = workload.result();
  out->set_commands(w.commands);
  out->set_errors(w.errors);
  out->set_iops(w.iops);
  out->set_mb_per_second(w.bytes_per_second / 1e6);
  Fill(out->mutable_all(), w.all);
  Fill(out->mutable_read(), w.read);
  Fill(out->mutable_write(), w.write);
  out->set_write_amplification(controller::WriteAmplificationBetween(before, after));
  out->set_gc_page_copies(after.gc_page_copies - before.gc_page_copies);
  out->set_gc_erases(after.gc_erases - before.gc_erases);
  const uint64_t lookups = after.mapping_lookups - before.mapping_lookups;
  if (lookups > 0) {
    out->set_mapping_lookups(lookups);
    out->set_mapping_cache_hit_ratio(static_cast<double>(after.mapping_hits - before.mapping_hits) /
                                     static_cast<double>(lookups));
    out->set_translation_page_reads(after.translation_reads - before.translation_reads);
    out->set_translation_page_writes(after.translation_writes - before.translation_writes);
  }
}

absl::Status AgeDrive(const v1::SsdIoSpec& io, const v1::DriveSpec& drive, uint64_t seed, uint64_t first_page,
                      uint64_t pages, controller::SsdController* controller, const std::atomic<bool>* cancel,
                      v1::SsdIoResult* report) {
  const bool steady = drive.precondition() == v1::DRIVE_PRECONDITION_RANDOM_STEADY_STATE;
  if ((io.random_prewrites() == 0 && !steady) || pages == 0) return absl::OkStatus();
  // Its own stream (not a component's): the draws happen before the run.
  sim::RandomStream random(seed, /*stream=*/0x5eed'a6e0);
  if (!steady) {
    return controller->PreconditionRandom(first_page, pages, static_cast<uint64_t>(io.random_prewrites()), random,
                                         cancel);
  }
  ASSIGN_OR_RETURN(const controller::SteadyStateReport r,
                   controller->PreconditionToSteadyState(first_page, pages, random, cancel));
  if (report != nullptr) {
    report->set_precondition_rounds(r.rounds);
    report->set_precondition_steady(r.steady);
    report->set_precondition_write_amplification(r.write_amplification);
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> FtlBlocksPerPlane(uint64_t pages, const nand::NandConfig& nand,
                                           const controller::SsdControllerConfig& controller, std::string_view what) {
  const uint64_t units = uint64_t{nand.geometry.dies()} * nand.geometry.planes_per_die;
  const double op = controller.ftl.over_provisioning;
  const double data_blocks =
      std::ceil(static_cast<double>((pages + units - 1) / units) / nand.geometry.pages_per_block());
  const double spare_blocks = std::ceil((controller.ftl.gc_free_block_threshold + 4) / op);
  const auto blocks = static_cast<uint64_t>(std::max(std::ceil(data_blocks / (1.0 - op)), spare_blocks)) + 1;
  // DFTL's translation blocks follow the data blocks on every plane.
  uint64_t translation = 0;
  if (controller.mapping_cache_entries > 0 && blocks <= nand.geometry.blocks_per_plane) {
    controller::FtlConfig data = controller.ftl;
    data.planes = static_cast<uint32_t>(units);
    data.blocks_per_plane = static_cast<uint32_t>(blocks);
    data.pages_per_block = nand.geometry.pages_per_block();
    data.bits_per_cell = nand.geometry.bits_per_cell;
    translation = controller::DftlMapping::TranslationBlocksPerPlane(data, nand.geometry.page_bytes / 4);
  }
  if (blocks + translation > nand.geometry.blocks_per_plane) {
    return absl::InvalidArgumentError(absl::StrCat(absl::string_view(what.data(), what.size()), " needs ",
                                                   blocks + translation, " blocks per plane; the SSD has ",
                                                   nand.geometry.blocks_per_plane));
  }
  return static_cast<uint32_t>(blocks);
}

void ApplyFtlMapping(const v1::SsdOffloadSystem& drive, controller::SsdControllerConfig* controller) {
  using Mapping = controller::SsdControllerConfig::Mapping;
  switch (drive.ftl_mapping()) {
    case v1::FTL_MAPPING_BLOCK: controller->mapping = Mapping::kBlock; break;
    case v1::FTL_MAPPING_HYBRID: controller->mapping = Mapping::kHybrid; break;
    default: controller->mapping = Mapping::kPage; break;
  }
  if (drive.hybrid_log_blocks_per_plane() > 0) {
    controller->hybrid_log_blocks_per_plane = static_cast<uint32_t>(drive.hybrid_log_blocks_per_plane());
  }
}

void ApplyScheduling(const v1::SsdSchedulingSpec& scheduling, controller::SsdControllerConfig* controller) {
  controller->scheduler = scheduling.die_scheduler() == v1::DIE_SCHEDULER_PRIORITY ? controller::DieScheduler::kPriority
                                                                                 : controller::DieScheduler::kFifo;
  controller->suspend_for_reads = scheduling.suspend_for_reads();
}

absl::Status NormalizePlainIoJob(v1::JobSpec* spec) {
  RETURN_IF_ERROR(NormalizeSsdIo(spec));
  const v1::SsdOffloadSystem& drive = spec->system().ssd_offload();
  RETURN_IF_ERROR(ValidateScheduling(drive.scheduling(), "system.ssd_offload.scheduling"));
  RETURN_IF_ERROR(ValidateFtlMapping(drive));
  v1::SsdOffloadSystem* o = spec->mutable_system()->mutable_ssd_offload();
  // The drive's declared parameters (a plain I/O job has no host to fill).
  std::vector<Parameter> declared;
  for (Parameter& p : DriveParameters("drive")) declared.push_back(std::move(p));
  RETURN_IF_ERROR(ApplyParameters(declared, "system.ssd_offload", o));
  RETURN_IF_ERROR(NormalizeDrive("system.ssd_offload.drive", o->mutable_drive()));
  if (o->drive().mapping_cache_entries() > 0 && (o->ftl_mapping() == v1::FTL_MAPPING_BLOCK ||
                                                  o->ftl_mapping() == v1::FTL_MAPPING_HYBRID)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "system.ssd_offload.drive.mapping_cache_entries = ", o->drive().mapping_cache_entries(),
        " with ftl_mapping = ", v1::FtlMappingKind_Name(o->ftl_mapping()),
        "; allowed: 0 (DFTL caches a page-level table: FTL_MAPPING_PAGE)"));
  }
  if (absl::Status s = nand::ValidateNandConfig(SsdOffloadNandConfig(drive, spec->simulation())); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("system.ssd_offload: ", s.message()));
  }
  // The span must fit the drive (a refusal names the largest span).
  return PlainIoSsdConfig(*spec, SsdOffloadNandConfig(spec->system().ssd_offload(), spec->simulation())).status();
}

absl::StatusOr<v1::JobResult> RunSsdIoJob(const v1::JobSpec& normalized, const std::atomic<bool>* cancel,
                                          std::function<void(const ModelFigures&)> on_model) {
  return RunSsdIoJob(normalized, SsdOffloadNandConfig(normalized.system().ssd_offload(), normalized.simulation()),
                     cancel, std::move(on_model));
}

namespace {

// The controller of a plain I/O job, before the FTL is sized for its span.
controller::SsdSystemConfig PlainIoBaseConfig(const v1::JobSpec& spec, const nand::NandConfig& drive) {
  const v1::SsdIoSpec& io = spec.ssd_io();
  controller::SsdSystemConfig c;
  c.nand = drive;
  // A plain I/O job measures the flash itself, so STREAM fidelity must not
  // change what it measures: the dies of a channel interleave their
  // data-outs as at PAGE fidelity (a read streams only on a channel with one
  // die, where STREAM equals PAGE to the picosecond). Serialising a
  // channel's dies, as an LLM job on this SSD does, completed 37-45% fewer
  // random 4 KiB reads than PAGE (issue 18); tests/ssd_io_job_test.cc holds
  // the two fidelities within 2% on every pattern.
  c.nand.stream_serialises_dies = false;
  c.controller.lba_bytes = c.nvme.lba_bytes;
  c.controller.ftl.over_provisioning = io.over_provisioning();
  c.controller.coalesce_reads = true;  // as system.ssd_offload's controller: multi-plane and cache reads
  ApplyScheduling(spec.system().ssd_offload().scheduling(), &c.controller);
  ApplyFtlMapping(spec.system().ssd_offload(), &c.controller);
  ApplyDriveToController(spec.system().ssd_offload().drive(), &c.controller);
  ApplyDriveToNvme(spec.system().ssd_offload().drive(), &c.nvme);
  c.controller.lba_bytes = c.nvme.lba_bytes;
  return c;
}

// The most logical pages FtlBlocksPerPlane can give blocks for on `nand`
// (it grows with the pages): 0 when not even the GC reserve fits.
uint64_t MaxFtlPages(const nand::NandConfig& nand, const controller::SsdControllerConfig& controller) {
  if (!FtlBlocksPerPlane(0, nand, controller, "").ok()) return 0;
  const nand::NandGeometry& g = nand.geometry;
  uint64_t lo = 0;
  uint64_t hi = uint64_t{g.dies()} * g.planes_per_die * g.blocks_per_plane * g.pages_per_block();
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo + 1) / 2;
    if (FtlBlocksPerPlane(mid, nand, controller, "").ok()) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

}  // namespace

double MaxSpanGib(const v1::JobSpec& normalized, const nand::NandConfig& drive) {
  const controller::SsdSystemConfig c = PlainIoBaseConfig(normalized, drive);
  return static_cast<double>(MaxFtlPages(drive, c.controller)) * drive.geometry.page_bytes / kGiB;
}

absl::StatusOr<controller::SsdSystemConfig> PlainIoSsdConfig(const v1::JobSpec& spec, const nand::NandConfig& drive) {
  const v1::SsdIoSpec& io = spec.ssd_io();
  controller::SsdSystemConfig c = PlainIoBaseConfig(spec, drive);
  // The FTL manages the blocks the span needs, and at least its GC reserve
  // at this over-provisioning (so at least ~30 GiB of AiF's drive: a 1 TB
  // mapping table would cost gigabytes of simulator memory). Span 0 is all
  // of it: the full drive whose random writes meet GC.
  const uint32_t page = drive.geometry.page_bytes;
  const auto span_request = static_cast<uint64_t>(io.span_gib() * kGiB);
  auto blocks = FtlBlocksPerPlane((span_request + page - 1) / page, drive, c.controller,
                                  absl::StrCat("ssd_io.span_gib = ", io.span_gib()));
  if (!blocks.ok()) {
    // Any span up to the whole drive's logical capacity is allowed; name it
    // (rounded down, so the figure itself is accepted).
    const double max_gib = std::floor(MaxSpanGib(spec, drive) * 1000) / 1000;
    const nand::NandGeometry& g = drive.geometry;
    const double raw_gib = static_cast<double>(g.dies()) * g.planes_per_die * g.blocks_per_plane *
                           g.pages_per_block() * page / kGiB;
    return absl::InvalidArgumentError(absl::StrCat(
        "ssd_io.span_gib = ", io.span_gib(), "; allowed: 0 (the FTL's smallest extent) or one block to ", max_gib,
        " GiB (the whole drive: ", raw_gib, " GiB raw less over_provisioning = ", io.over_provisioning(),
        " and the GC reserve)"));
  }
  c.controller.ftl_blocks_per_plane = *blocks;
  const uint64_t managed = controller::SsdController::LogicalPages(drive, c.controller) * page;
  const uint64_t span = span_request == 0 ? managed : std::min(span_request, managed);
  const uint64_t block = static_cast<uint64_t>(io.block_kib()) * 1024;
  c.workload = IoWorkloadConfig(io, c.nvme.lba_bytes, 0, span / block * block);
  c.precondition_pages = io.precondition() ? (c.workload.span_bytes + page - 1) / page : 0;
  return c;
}

absl::StatusOr<v1::JobResult> RunSsdIoJob(const v1::JobSpec& spec, const nand::NandConfig& drive,
                                          const std::atomic<bool>* cancel,
                                          std::function<void(const ModelFigures&)> on_model) {
  const v1::SsdIoSpec& io = spec.ssd_io();
  ASSIGN_OR_RETURN(const controller::SsdSystemConfig c, PlainIoSsdConfig(spec, drive));
  sim::Simulation sim;
  auto ssd = controller::BuildSsd(c, &sim, cancel);
  if (!ssd.ok()) return ssd.status();
  v1::SsdIoResult precondition;
  RETURN_IF_ERROR(AgeDrive(io, spec.system().ssd_offload().drive(), spec.simulation().seed(), 0, c.precondition_pages,
                           ssd->controller, cancel, &precondition));
  const controller::FtlStats before = ssd->controller->ftl().stats();
  sim::RunOptions options;
  options.seed = spec.simulation().seed();
  options.partitions = spec.simulation().partitions();
  options.sync = SyncOf(spec);
  options.event_set = EventSetOf(spec);
  options.cancel = cancel;
  if (on_model) options.on_sample = ModelSampler(sim, std::move(on_model));
  auto run = sim::Run(sim, options);
  if (!run.ok()) return run.status();

  v1::JobResult r;
  r.set_job_name(spec.name());
  r.set_system("ssd_offload (plain I/O)");
  SetRunFields({run->final_time, run->committed_events, run->wall_seconds, run->digest_hex(), options.partitions,
                options.sync, run->partitions},
               &r);
  r.mutable_ssd_io()->MergeFrom(precondition);
  FillIoResult(*ssd->workload, before, ssd->controller->ftl().stats(), r.mutable_ssd_io());
  const controller::SsdWorkload::Result w = ssd->workload->result();
  // The flash channels' share of the workload's elapsed time.
  const double elapsed = w.elapsed.ToSeconds();
  if (elapsed > 0) {
    sim::SimTime bus;
    int64_t bytes = 0;
    for (const nand::NandChannel* ch : ssd->nand.channels) {
      bus += ch->stats().bus_busy;
      bytes += static_cast<int64_t>(ch->stats().bytes_out + ch->stats().bytes_in);
    }
    auto* u = r.add_utilization();
    u->set_resource("flash_channels");
    u->set_utilization(bus.ToSeconds() / (elapsed * static_cast<double>(ssd->nand.channels.size())));
    u->set_bytes_per_second(static_cast<double>(bytes) / elapsed);
    // The chips' busy share (any die of a chip with a request in progress),
    // reported when the drive names its chip rule (older results unchanged).
    if (spec.system().ssd_offload().drive().chip_die_interleave() != v1::CHIP_DIE_INTERLEAVE_UNSPECIFIED) {
      sim::SimTime chip_busy;
      uint64_t chips = 0;
      for (const nand::NandChannel* ch : ssd->nand.channels) {
        for (uint32_t k = 0; k < ch->chips(); ++k) chip_busy += ch->ChipBusy(k, run->final_time);
        chips += ch->chips();
      }
      auto* c = r.add_utilization();
      c->set_resource("flash_chips");
      c->set_utilization(chip_busy.ToSeconds() / (elapsed * static_cast<double>(chips)));
    }
  }
  return r;
}

}  // namespace strata::systems
