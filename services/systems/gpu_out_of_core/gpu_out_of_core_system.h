// gpu_out_of_core: an NVIDIA A800 80GB PCIe (1,935 GB/s HBM2e; 624 TOPS
// dense INT8 as the A100 it derives from, NVIDIA A100 datasheet) that keeps
// as many layers as its weight budget holds and streams the rest over PCIe
// 4.0 x16 (31.5 GB/s raw; 24.8 GB/s measured host-to-device, so efficiency
// 0.787; REFERENCE.md), one layer ahead of compute, from host DRAM or
// (ssd_read_gbps > 0) from an NVMe SSD.
#ifndef STRATA_SYSTEMS_GPU_OUT_OF_CORE_GPU_OUT_OF_CORE_SYSTEM_H_
#define STRATA_SYSTEMS_GPU_OUT_OF_CORE_GPU_OUT_OF_CORE_SYSTEM_H_

#include "services/systems/core/system_builder.h"

namespace strata::systems {

class GpuOutOfCoreSystem final : public SystemBuilder {
 public:
  std::string_view name() const override { return "gpu_out_of_core"; }
  v1::SystemSpec::KindCase kind() const override { return v1::SystemSpec::kGpuOutOfCore; }
  std::string_view summary() const override {
    return "A800 80GB streaming the layers beyond its weight budget over PCIe, one layer ahead";
  }
  std::vector<host::Category> breakdown_parts() const override;
  std::vector<Parameter> parameters() const override;
  absl::Status Normalize(const ModelFacts& model, v1::JobSpec* spec) const override;
  absl::Status Build(const v1::JobSpec& spec, const host::DriverConfig& driver, BuiltJob* job) const override;
};

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_GPU_OUT_OF_CORE_GPU_OUT_OF_CORE_SYSTEM_H_
