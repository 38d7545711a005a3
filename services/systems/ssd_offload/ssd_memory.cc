#include "services/systems/ssd_offload/ssd_memory.h"

#include <algorithm>

#include "services/controller/nvme/nvme_interface.h"
#include "services/controller/ssd/ssd_controller.h"
#include "services/controller/workload/ssd_workload.h"
#include "services/host/memory/page_cache.h"
#include "services/host/workload/decode_driver.h"
#include "services/systems/core/drive_spec.h"
#include "services/systems/core/model_spec.h"
#include "services/systems/ssd_offload/mmap_gemv_executor.h"
#include "services/systems/ssd_offload/ssd_io_job.h"
#include "services/systems/ssd_offload/ssd_offload_system.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {

namespace {

double IoRecordBytes(const v1::SsdIoSpec& io) {
  return static_cast<double>(io.commands()) * static_cast<double>(controller::SsdWorkload::BytesPerCommand());
}

}  // namespace

absl::StatusOr<SsdModelMemory> EstimateSsdModelMemory(const v1::JobSpec& spec) {
  SsdModelMemory m;
  if (!spec.system().has_ssd_offload()) return m;
  const v1::SsdOffloadSystem& o = spec.system().ssd_offload();
  if (IsSsdIoJob(spec)) {
    ASSIGN_OR_RETURN(const controller::SsdSystemConfig c,
                     PlainIoSsdConfig(spec, SsdOffloadNandConfig(o, spec.simulation())));
    m.ftl_bytes = static_cast<double>(controller::SsdController::FtlTableBytes(c.nand, c.controller));
    m.ftl_physical_pages = uint64_t{c.nand.geometry.channels} * c.nand.geometry.dies_per_channel *
                           c.nand.geometry.planes_per_die * c.controller.ftl_blocks_per_plane *
                           c.nand.geometry.pages_per_block();
    m.io_record_bytes = IoRecordBytes(spec.ssd_io());
    return m;
  }
  // The weights file as the executor lays it out: every matrix once, from
  // the model and its weight type (what BuildJob's driver config holds).
  host::DriverConfig dc;
  ASSIGN_OR_RETURN(dc.shape, ShapeOf(spec.model()));
  dc.weight_type = WeightTypeOf(spec.model().weight_type());
  dc.batch = spec.workload().batch_size();
  dc.prompt_tokens = spec.workload().prompt_tokens();
  dc.decode_tokens = spec.workload().decode_tokens();
  dc.offload = host::DriverConfig::Offload::kAllGemv;
  dc.offload_prefill = true;
  uint64_t file_bytes = 0;
  (void)MmapGemvExecutor::FileLayout(dc, &file_bytes);

  const nand::NandConfig nc = SsdOffloadNandConfig(o, spec.simulation());
  controller::NvmeConfig nvme;
  ApplyDriveToNvme(o.drive(), &nvme);
  ASSIGN_OR_RETURN(const SsdOffloadDrive drive, SsdOffloadDriveFor(spec, nc, nvme.lba_bytes, file_bytes));
  m.ftl_bytes = static_cast<double>(controller::SsdController::FtlTableBytes(nc, drive.controller));
  m.ftl_physical_pages = uint64_t{nc.geometry.channels} * nc.geometry.dies_per_channel * nc.geometry.planes_per_die *
                         drive.controller.ftl_blocks_per_plane * nc.geometry.pages_per_block();

  // The page cache, in readahead-window chunks (SsdOffloadSystem::Build).
  const uint64_t chunk = static_cast<uint64_t>(o.readahead_kib()) * 1024;
  const uint64_t capacity = static_cast<uint64_t>(o.page_cache_gib() * kGiB) / chunk;
  const uint64_t file_chunks = (file_bytes + chunk - 1) / chunk;
  const uint64_t resident = std::min(capacity, file_chunks);
  const uint64_t shadows = o.page_cache_policy() == v1::SINGLE_LRU ? 0 : file_chunks - resident;
  m.page_cache_bytes = static_cast<double>(resident * host::PageCache::ResidentChunkBytes() +
                                           shadows * host::PageCache::ShadowChunkBytes());
  if (spec.has_ssd_io()) m.io_record_bytes = IoRecordBytes(spec.ssd_io());
  return m;
}

}  // namespace strata::systems
