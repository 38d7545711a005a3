// ssd_offload: llama.cpp-style mmap of the weights from a plain NVMe SSD
// (NVMe queue, FTL, the same NAND dies) through an LRU page cache of the
// host's DRAM; the CPU computes. Defaults: the AiF paper's Memory+SSD
// system (REFERENCE.md): the i9-14900KS host with 8 GB of DDR5 at 86.4 GB/s
// and a 1 TB TLC SSD on PCIe 4.0 x4 (AiF's SSD without its in-chip logic).
// With JobSpec.ssd_io, user I/O runs beside the model on the same drive
// (ssd_io_job.h).
#ifndef STRATA_SYSTEMS_SSD_OFFLOAD_SSD_OFFLOAD_SYSTEM_H_
#define STRATA_SYSTEMS_SSD_OFFLOAD_SSD_OFFLOAD_SYSTEM_H_

#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "services/controller/ssd/ssd_controller.h"
#include "services/nand/flash/nand_config.h"
#include "services/systems/core/system_builder.h"

namespace strata::systems {

class SsdOffloadSystem final : public SystemBuilder {
 public:
  std::string_view name() const override { return "ssd_offload"; }
  v1::SystemSpec::KindCase kind() const override { return v1::SystemSpec::kSsdOffload; }
  std::string_view summary() const override {
    return "llama.cpp mmap of the weights from a plain NVMe SSD through the host's page cache (AiF's Memory+SSD)";
  }
  std::vector<host::Category> breakdown_parts() const override;
  std::vector<Parameter> parameters() const override;
  absl::Status Normalize(const ModelFacts& model, v1::JobSpec* spec) const override;
  void ConfigureDriver(const v1::SystemSpec& system, host::DriverConfig* driver) const override;
  absl::Status Build(const v1::JobSpec& spec, const host::DriverConfig& driver, BuiltJob* job) const override;
};

// The drive's NAND model (system.ssd_offload): AiF's SSD without in-chip compute.
nand::NandConfig SsdOffloadNandConfig(const v1::SsdOffloadSystem& drive, const v1::SimulationSpec& simulation);
// The drive's checks shared by LLM jobs and plain I/O jobs: flash scheduling
// (enum values in range; suspension only under the priority scheduler) and
// the FTL mapping with its log blocks.
absl::Status ValidateScheduling(const v1::SsdSchedulingSpec& scheduling, absl::string_view path);
absl::Status ValidateFtlMapping(const v1::SsdOffloadSystem& drive);
// The SSD's controller for an LLM job whose weights file has `file_bytes`
// (and, with ssd_io, the user span after it): the FTL manages only the
// blocks these need. Build and the admission estimate both size it here.
struct SsdOffloadDrive {
  controller::SsdControllerConfig controller;
  uint64_t file_pages = 0;
  uint64_t io_block = 1;    // ssd_io.block_kib in bytes (1 without ssd_io)
  uint64_t io_offset = 0;   // bytes: where ssd_io's span starts, after the file
  uint64_t io_request = 0;  // bytes ssd_io.span_gib asks for (0: all the room left)
};
absl::StatusOr<SsdOffloadDrive> SsdOffloadDriveFor(const v1::JobSpec& spec, const nand::NandConfig& nand,
                                                   uint32_t lba_bytes, uint64_t file_bytes);
// Anonymous memory beside the page cache: the OS, llama.cpp's buffers and
// the KV cache, bytes.
double AnonymousBytes(const v1::SsdOffloadSystem& drive, int64_t kv_bytes);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_SSD_OFFLOAD_SSD_OFFLOAD_SYSTEM_H_
