// nvllm: FFN GEMVs computed inside 3D NAND dies (PE arrays per plane,
// partial sums on a dedicated wafer-level path); attention on CMOS logic
// with its weights and the KV cache in LPDDR5, with NVLLM's KV-cache-aware
// scheduler. Public detail is thin (REFERENCE.md): every flash number not
// from AiF's measured TLC timing is an assumption, named where it is set.
#ifndef STRATA_SYSTEMS_NVLLM_NVLLM_SYSTEM_H_
#define STRATA_SYSTEMS_NVLLM_NVLLM_SYSTEM_H_

#include "services/nand/flash/nand_config.h"
#include "services/systems/core/system_builder.h"

namespace strata::systems {

class NvllmSystem final : public SystemBuilder {
 public:
  std::string_view name() const override { return "nvllm"; }
  v1::SystemSpec::KindCase kind() const override { return v1::SystemSpec::kNvllm; }
  std::string_view summary() const override {
    return "FFN GEMVs inside 3D NAND dies; attention on CMOS logic with LPDDR5 (NVLLM)";
  }
  std::vector<host::Category> breakdown_parts() const override;
  std::vector<Parameter> parameters() const override;
  absl::Status Normalize(const ModelFacts& model, v1::JobSpec* spec) const override;
  void ConfigureDriver(const v1::SystemSpec& system, host::DriverConfig* driver) const override;
  absl::Status Build(const v1::JobSpec& spec, const host::DriverConfig& driver, BuiltJob* job) const override;
};

// The NAND model of a normalised system.nvllm.
nand::NandConfig NvllmNandConfig(const v1::NvllmSystem& nvllm, const v1::SimulationSpec& simulation);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_NVLLM_NVLLM_SYSTEM_H_
