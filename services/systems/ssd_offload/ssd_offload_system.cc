#include "services/systems/ssd_offload/ssd_offload_system.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/controller/nvme/nvme_host_mux.h"
#include "services/controller/nvme/nvme_interface.h"
#include "services/controller/ssd/ssd_controller.h"
#include "services/controller/workload/ssd_workload.h"
#include "services/host/compute/roofline_executor.h"
#include "services/nand/flash/nand_channel.h"
#include "services/systems/core/drive_spec.h"
#include "services/systems/core/energy_activity.h"
#include "services/systems/core/host_spec.h"
#include "services/systems/core/links.h"
#include "services/systems/core/model_spec.h"
#include "services/systems/core/nand_spec.h"
#include "services/systems/core/spec_fields.h"
#include "services/systems/ssd_offload/mmap_gemv_executor.h"
#include "services/systems/ssd_offload/ssd_io_job.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {

absl::Status ValidateScheduling(const v1::SsdSchedulingSpec& s, absl::string_view path) {
  if (!v1::DieScheduler_IsValid(s.die_scheduler())) {
    return Invalid(absl::StrCat(path, ".die_scheduler"), s.die_scheduler(),
                   "0 to 2 (DIE_SCHEDULER_FIFO, DIE_SCHEDULER_PRIORITY)");
  }
  if (!v1::ChannelArbitration_IsValid(s.channel_arbitration())) {
    return Invalid(absl::StrCat(path, ".channel_arbitration"), s.channel_arbitration(),
                   "0 to 2 (CHANNEL_ARBITRATION_FIFO, CHANNEL_ARBITRATION_COMMAND_FIRST)");
  }
  if (s.suspend_for_reads() && s.die_scheduler() != v1::DIE_SCHEDULER_PRIORITY) {
    return absl::InvalidArgumentError(absl::StrCat(path, ".suspend_for_reads = true; allowed: only with ", path,
                                                   ".die_scheduler = DIE_SCHEDULER_PRIORITY"));
  }
  return absl::OkStatus();
}

absl::Status ValidateFtlMapping(const v1::SsdOffloadSystem& o) {
  if (!v1::FtlMappingKind_IsValid(o.ftl_mapping())) {
    return Invalid("system.ssd_offload.ftl_mapping", o.ftl_mapping(),
                   "0 to 3 (FTL_MAPPING_PAGE, FTL_MAPPING_BLOCK, FTL_MAPPING_HYBRID)");
  }
  if (o.hybrid_log_blocks_per_plane() < 0 || o.hybrid_log_blocks_per_plane() > 64) {
    return Invalid("system.ssd_offload.hybrid_log_blocks_per_plane", o.hybrid_log_blocks_per_plane(), "0 to 64");
  }
  return absl::OkStatus();
}

double AnonymousBytes(const v1::SsdOffloadSystem& o, int64_t kv_bytes) {
  return (o.os_reserved_gib() + o.runtime_buffers_gib()) * kGiB + static_cast<double>(kv_bytes);
}

nand::NandConfig SsdOffloadNandConfig(const v1::SsdOffloadSystem& o, const v1::SimulationSpec& simulation) {
  nand::NandConfig c = nand::AifDefaultNandConfig();  // AiF's SSD: 8 ch x 2 chips x 4 planes, (2,3,2) TLC, ONFI 2.0 GB/s
  c.fidelity = FidelityOf(simulation);
  c.pe.placement = nand::PePlacement::kNone;  // a plain SSD: no in-chip compute
  // The two chips of a channel take turns at STREAM fidelity (nand_config.h):
  // this SSD is PCIe-bound (7.9 GB/s link vs 13-16 GB/s of channels).
  c.stream_serialises_dies = true;
  c.channel_arbitration = o.scheduling().channel_arbitration() == v1::CHANNEL_ARBITRATION_COMMAND_FIRST
                              ? nand::ChannelArbitration::kCommandFirst
                              : nand::ChannelArbitration::kFifo;
  ApplyDriveToNand(o.drive(), &c);
  return c;
}

absl::StatusOr<SsdOffloadDrive> SsdOffloadDriveFor(const v1::JobSpec& spec, const nand::NandConfig& nc,
                                                   uint32_t lba_bytes, uint64_t file_bytes) {
  const auto& o = spec.system().ssd_offload();
  SsdOffloadDrive d;
  controller::SsdControllerConfig& cc = d.controller;
  cc.lba_bytes = lba_bytes;
  cc.coalesce_reads = true;  // sequential readahead: multi-plane cache reads
  ApplyScheduling(o.scheduling(), &cc);
  ApplyFtlMapping(o, &cc);
  ApplyDriveToController(o.drive(), &cc);
  // The FTL manages only the blocks the weights file needs (plus spare and
  // GC reserve): the drive's other contents are not modelled, and a 1 TB
  // mapping table would cost gigabytes of simulator memory.
  const uint32_t page = nc.geometry.page_bytes;
  d.file_pages = (file_bytes + page - 1) / page;
  // User I/O beside the model (ssd_io): its span follows the weights file.
  const v1::SsdIoSpec* io = spec.has_ssd_io() ? &spec.ssd_io() : nullptr;
  d.io_block = io ? static_cast<uint64_t>(io->block_kib()) * 1024 : 1;
  d.io_offset = (d.file_pages * page + d.io_block - 1) / d.io_block * d.io_block;
  d.io_request = io ? static_cast<uint64_t>(io->span_gib() * kGiB) : 0;
  ASSIGN_OR_RETURN(cc.ftl_blocks_per_plane,
                   FtlBlocksPerPlane((d.io_offset + d.io_request + page - 1) / page, nc, cc,
                                     absl::StrCat("model: ", absl::StrFormat("%.1f", file_bytes / kGiB),
                                                  " GiB of weights in system.ssd_offload")));
  return d;
}

std::vector<host::Category> SsdOffloadSystem::breakdown_parts() const {
  return {host::Category::kHostAttention, host::Category::kHostGemv, host::Category::kHostOther,
          host::Category::kPcieNvme, host::Category::kSynchronization};
}

std::vector<Parameter> SsdOffloadSystem::parameters() const {
  // The AiF paper's Memory+SSD box: 8 GB of DDR5 (REFERENCE.md).
  std::vector<Parameter> p = DesktopHostParameters("cpu", "dram", 8.0);
  p.push_back({"readahead_kib", "KiB", 256, 4, 1 << 20,
               "Linux read_ahead_kb default 128 (VM_READAHEAD_PAGES), doubled by llama.cpp's "
               "posix_fadvise(POSIX_FADV_SEQUENTIAL) (mm/fadvise.c: ra_pages = bdi->ra_pages * 2); a multiple of 4"});
  p.push_back({"readahead_windows", "", 2, 1, 64,
               "Linux mm/readahead.c: the window being consumed and the asynchronous window its PG_readahead marker "
               "starts (async_size = size once ramped); no more are in flight"});
  p.push_back({"os_reserved_gib", "GiB", 1.0, 0.0, 1e6,
               "assumption: kernel, systemd services and a login session of a Linux desktop, ~1 GiB (typical)"});
  p.push_back({"runtime_buffers_gib", "GiB", 0.5, 0.0, 1e6,
               "measured: llama.cpp's CPU compute buffer 492.01 MiB + output buffer 2.38 MiB for an 8B model, "
               "n_ubatch 512 (log in ollama/ollama#7585)"});
  p.push_back({"minor_fault_us", "us", 1.0, 0.0, 1e3,
               "assumption: one minor fault mapping a 64 KiB fault-around batch (fault_around_bytes), ~1 us (typical)"});
  p.push_back(Parameter::Rule("page_cache_policy", "", "LINUX_TWO_LIST, SINGLE_LRU", "LINUX_TWO_LIST",
                              "Linux 5.x file LRU (mm/vmscan.c, mm/workingset.c); AiF ran NVMeVirt on a 5.x kernel, "
                              "MGLRU (6.1+) off by default"));
  p.push_back(Parameter::Rule("no_swap", "", "true or false", "false: swap on (Ubuntu installs a swap file)",
                              "mm/workingset.c counts anonymous memory in the workingset only with swap"));
  p.push_back(Parameter::Rule("page_cache_gib", "GiB", "(readahead_windows + 1) x readahead_kib to dram.capacity_gib", "0: DRAM less the OS, llama.cpp's buffers and the KV cache", "llama.cpp's mmap through the page cache"));
  p.push_back(Parameter::Rule("scheduling.die_scheduler", "", "DIE_SCHEDULER_FIFO, DIE_SCHEDULER_PRIORITY", "FIFO", "the controller's per-die queue (ssd_controller.h)"));
  p.push_back(Parameter::Rule("scheduling.suspend_for_reads", "", "true or false; true only with DIE_SCHEDULER_PRIORITY", "false", "program/erase suspension for reads (ssd_controller.h)"));
  p.push_back(Parameter::Rule("scheduling.channel_arbitration", "", "CHANNEL_ARBITRATION_FIFO, CHANNEL_ARBITRATION_COMMAND_FIRST", "FIFO", "the channel bus arbitration (nand_config.h)"));
  p.push_back(Parameter::Rule("ftl_mapping", "", "FTL_MAPPING_PAGE, FTL_MAPPING_BLOCK, FTL_MAPPING_HYBRID", "PAGE", "the FTL's mapping scheme (services/controller/ftl)"));
  p.push_back(Parameter::Rule("hybrid_log_blocks_per_plane", "", "0 to 64", "0: 4 under HYBRID", "assumption: BAST keeps a handful of log blocks"));
  for (Parameter& d : DriveParameters("drive")) p.push_back(std::move(d));
  return p;
}

absl::Status SsdOffloadSystem::Normalize(const ModelFacts& model, v1::JobSpec* spec) const {
  v1::SsdOffloadSystem* o = spec->mutable_system()->mutable_ssd_offload();
  // readahead_windows: 4 windows in flight (assumption): Linux keeps the
  // synchronous window and one asynchronous window ahead (mm/readahead.c),
  // and the block layer splits each into commands of at most
  // max_sectors_kb that the drive serves in parallel; the NVMe model stores
  // and forwards a whole command (flash, then DMA), so 4 whole windows
  // stand for that overlap.
  RETURN_IF_ERROR(ApplyParameters(parameters(), "system.ssd_offload", o));
  if (o->readahead_kib() % 4 != 0) {
    return Invalid("system.ssd_offload.readahead_kib", o->readahead_kib(), "a multiple of 4 (the SSD's 4 KiB LBA)");
  }
  RETURN_IF_ERROR(ValidateFtlMapping(*o));
  RETURN_IF_ERROR(ValidateScheduling(o->scheduling(), "system.ssd_offload.scheduling"));
  RETURN_IF_ERROR(NormalizeDrive("system.ssd_offload.drive", o->mutable_drive()));
  if (!v1::PageCachePolicy_IsValid(o->page_cache_policy())) {
    return Invalid("system.ssd_offload.page_cache_policy", o->page_cache_policy(),
                   "0 to 2 (LINUX_TWO_LIST, SINGLE_LRU)");
  }
  if (o->page_cache_policy() == v1::PAGE_CACHE_POLICY_UNSPECIFIED) o->set_page_cache_policy(v1::LINUX_TWO_LIST);

  // What else lives in DRAM: the OS, llama.cpp's buffers, the KV cache.
  const double anon = AnonymousBytes(*o, model.kv_bytes);
  const double dram = o->dram().capacity_gib() * kGiB;
  if (anon >= dram) {
    return absl::InvalidArgumentError(absl::StrCat(
        "system.ssd_offload.dram.capacity_gib = ", o->dram().capacity_gib(), " cannot hold the OS (os_reserved_gib = ",
        o->os_reserved_gib(), "), llama.cpp's buffers (runtime_buffers_gib = ", o->runtime_buffers_gib(),
        ") and the KV cache (", absl::StrFormat("%.1f", model.kv_bytes / kGiB), " GiB)"));
  }
  // The page cache: DRAM less all of that unless set.
  if (o->page_cache_gib() == 0) o->set_page_cache_gib((dram - anon) / kGiB);
  const double window_gib = o->readahead_kib() / (1024.0 * 1024.0);
  const double min_cache = window_gib * (o->readahead_windows() + 1);
  if (!(o->page_cache_gib() >= min_cache && o->page_cache_gib() <= o->dram().capacity_gib())) {
    return Invalid("system.ssd_offload.page_cache_gib", o->page_cache_gib(),
                   absl::StrCat(min_cache, " ((readahead_windows + 1) x readahead_kib) to dram.capacity_gib = ",
                                o->dram().capacity_gib()));
  }
  if (absl::Status s = nand::ValidateNandConfig(SsdOffloadNandConfig(*o, spec->simulation())); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("system.ssd_offload: ", s.message()));
  }
  return absl::OkStatus();
}

void SsdOffloadSystem::ConfigureDriver(const v1::SystemSpec&, host::DriverConfig* dc) const {
  dc->offload = host::DriverConfig::Offload::kAllGemv;  // every GEMV reads mmapped weights
  dc->offload_prefill = true;                           // prefill faults them in first
}

absl::Status SsdOffloadSystem::Build(const v1::JobSpec& spec, const host::DriverConfig& dc, BuiltJob* job) const {
  job->system = "ssd_offload";
  sim::Simulation& sim = *job->sim;
  const auto& o = spec.system().ssd_offload();
  auto* cpu = sim.Emplace<host::RooflineExecutor>("host", HostRoofline("cpu", o.cpu(), o.dram()));
  RETURN_IF_ERROR(sim.Connect(job->driver->id(), "host", cpu->id(), "driver", kDispatchLatency));
  MmapConfig mc;
  mc.cpu = HostRoofline("cpu", o.cpu(), o.dram());
  mc.chunk_bytes = static_cast<uint64_t>(o.readahead_kib()) * 1024;
  mc.cache_chunks = static_cast<uint64_t>(o.page_cache_gib() * kGiB) / mc.chunk_bytes;
  mc.readahead_windows = static_cast<uint32_t>(o.readahead_windows());
  mc.policy = o.page_cache_policy() == v1::SINGLE_LRU ? host::PageCachePolicy::kLru
                                                       : host::PageCachePolicy::kLinuxTwoList;
  if (!o.no_swap()) {
    mc.anon_workingset_chunks =
        static_cast<uint64_t>(AnonymousBytes(o, KvCacheBytes(job->shape, spec.workload()))) / mc.chunk_bytes;
  }
  // One minor fault per 64 KiB fault-around batch of a chunk just read.
  mc.map_chunk_time = sim::SimTime::FromMicroseconds(o.minor_fault_us() *
                                                     static_cast<double>((mc.chunk_bytes + 65535) / 65536));
  controller::NvmeConfig nvme;  // PCIe 4.0 x4, Linux's 1024-entry queue, interrupts (nvme_interface.h)
  ApplyDriveToNvme(o.drive(), &nvme);
  mc.lba_bytes = nvme.lba_bytes;
  auto* mmap = sim.Emplace<MmapGemvExecutor>("host", mc, dc);
  RETURN_IF_ERROR(sim.Connect(job->driver->id(), "offload", mmap->id(), "driver", kDispatchLatency));

  const nand::NandConfig nc = SsdOffloadNandConfig(o, spec.simulation());
  ASSIGN_OR_RETURN(const SsdOffloadDrive layout, SsdOffloadDriveFor(spec, nc, nvme.lba_bytes, mmap->file_bytes()));
  const controller::SsdControllerConfig& cc = layout.controller;
  const uint32_t page = nc.geometry.page_bytes;
  const uint64_t file_pages = layout.file_pages;
  const v1::SsdIoSpec* io = spec.has_ssd_io() ? &spec.ssd_io() : nullptr;
  const uint64_t io_block = layout.io_block;
  const uint64_t io_offset = layout.io_offset;
  const uint64_t io_request = layout.io_request;
  ASSIGN_OR_RETURN(auto ctrl, controller::SsdController::Create("ssd_controller", nc, cc, job->cancel));
  // The weights file was written before the run (the model download).
  RETURN_IF_ERROR(ctrl->Precondition(0, file_pages, job->cancel));
  controller::SsdController* controller = ctrl.get();
  sim.Add(std::move(ctrl), "controller");
  auto* nvme_if = sim.Emplace<controller::NvmeInterface>("nvme", "nvme", nvme);
  if (io == nullptr) {
    // The NVMe interface holds the host driver's queues: a 1 ns call from the executor.
    RETURN_IF_ERROR(sim.Connect(mmap->id(), "nvme", nvme_if->id(), "host", kBoardLatency));
  } else {
    // The span: what was asked for, or (0) every logical page the FTL
    // manages beyond the weights file; written before the run when asked.
    const uint64_t managed = controller->logical_lbas() * nvme.lba_bytes;
    if (io_offset + io_block > managed) {
      return absl::InvalidArgumentError("ssd_io: no room beside the weights file on system.ssd_offload's SSD");
    }
    const uint64_t room = (managed - io_offset) / io_block * io_block;
    const uint64_t span = io_request == 0 ? room : std::min(room, io_request / io_block * io_block);
    if (io->precondition()) {
      const uint64_t first = io_offset / page, pages = (span + page - 1) / page;
      RETURN_IF_ERROR(controller->Precondition(first, pages, job->cancel));
      RETURN_IF_ERROR(AgeDrive(*io, spec.system().ssd_offload().drive(), spec.simulation().seed(), first, pages,
                               controller, job->cancel));
    }
    const controller::FtlStats before = controller->ftl().stats();
    auto* user = sim.Emplace<controller::SsdWorkload>("host", "user_io",
                                                      IoWorkloadConfig(*io, nvme.lba_bytes, io_offset, span));
    // Page faults and the user's I/O share the driver's queue pair.
    auto* mux = sim.Emplace<controller::NvmeHostMux>("host", "nvme_mux", 2);
    RETURN_IF_ERROR(sim.Connect(mmap->id(), "nvme", mux->id(), "in0", kBoardLatency));
    RETURN_IF_ERROR(sim.Connect(user->id(), "nvme", mux->id(), "in1", kBoardLatency));
    RETURN_IF_ERROR(sim.Connect(mux->id(), "nvme", nvme_if->id(), "host", sim::SimTime::Zero()));
    job->finish_result = [user, before, controller](v1::JobResult* result) {
      FillIoResult(*user, before, controller->ftl().stats(), result->mutable_ssd_io());
    };
  }
  RETURN_IF_ERROR(sim.Connect(nvme_if->id(), "backend", controller->id(), "frontend", kFrontendLink));
  ASSIGN_OR_RETURN(auto array, nand::BuildNandArray(nc, &sim, "nand", job->cancel));
  for (uint32_t c = 0; c < nc.geometry.channels; ++c) {
    RETURN_IF_ERROR(sim.Connect(controller->id(), absl::StrCat("ch", c), array.channels[c]->id(), "host", kChannelLink));
  }
  job->resources.push_back({"dram", [cpu] { return cpu->busy_time(); }, [cpu] { return cpu->memory_bytes(); }});
  job->resources.push_back({"pcie",
                            [nvme_if] { return nvme_if->stats().pcie_busy[1]; },
                            [nvme_if] { return static_cast<int64_t>(nvme_if->stats().read.bytes); }});
  job->resources.push_back(FlashChannelsResource(array.channels));
  AddDesktopCpuEnergyActivity(cpu, o.dram().capacity_gib(), job);
  // The GEMVs the mmap path runs on the same CPU, and the pages NVMe DMA
  // writes into the page cache.
  job->activities.push_back({"desktop_cpu_busy_ps", [mmap] { return mmap->compute_time().ps(); }});
  AddMemoryTraffic(MemoryKind::kDdr5, [mmap] { return mmap->memory_bytes() + static_cast<int64_t>(mmap->bytes_read()); },
                   job);
  AddPcieTraffic([nvme_if] { return static_cast<int64_t>(nvme_if->stats().read.bytes); }, job);
  AddNandEnergyActivity(array, nc, job);
  job->offload = mmap;
  // The page cache during decode, beside whatever else the result carries.
  const double cache_gib = o.page_cache_gib();
  job->finish_result = [mmap, cache_gib, io_result = std::move(job->finish_result)](v1::JobResult* result) {
    if (io_result) io_result(result);
    v1::PageCacheResult* pc = result->mutable_page_cache();
    pc->set_cache_gib(cache_gib);
    pc->set_file_gib(static_cast<double>(mmap->file_bytes()) / kGiB);
    pc->set_hit_rate(mmap->decode_touches() > 0
                         ? static_cast<double>(mmap->decode_hits()) / static_cast<double>(mmap->decode_touches())
                         : 0);
    pc->set_decode_bytes_read(mmap->decode_bytes_read());
    const double span = mmap->decode_span().ToSeconds();
    pc->set_effective_read_gbps(span > 0 ? static_cast<double>(mmap->decode_bytes_read()) / span / 1e9 : 0);
    pc->set_evictions(mmap->cache().evictions());
    pc->set_activations(mmap->cache().activations());
  };
  return absl::OkStatus();
}

}  // namespace strata::systems
