// cambricon_llm: Cambricon-LLM (Yu et al., MICRO 2024, arXiv 2409.15654;
// docs/cambricon-llm.md), an NPU chiplet beside a flash chiplet whose every
// die has one compute core shared by its planes. Every decode weight GEMV
// (Q/K/V, O, FFN, LM head) runs as read-compute requests in the flash dies;
// attention over the KV cache (in LPDDR5X), the SFU ops and the prefill
// run on the NPU. Defaults: Cambricon-LLM-L (Table II). Only the paper's
// no-tiling configuration (Fig. 14: every weight GEMV in flash) is
// simulated; its hardware-aware tiling (the NPU reading a share of each
// matrix over the channels' idle time, §V-B) is not yet.
#ifndef STRATA_SYSTEMS_CAMBRICON_LLM_CAMBRICON_LLM_SYSTEM_H_
#define STRATA_SYSTEMS_CAMBRICON_LLM_CAMBRICON_LLM_SYSTEM_H_

#include "services/nand/flash/nand_config.h"
#include "services/systems/core/system_builder.h"

namespace strata::systems {

class CambriconLlmSystem final : public SystemBuilder {
 public:
  std::string_view name() const override { return "cambricon_llm"; }
  v1::SystemSpec::KindCase kind() const override { return v1::SystemSpec::kCambriconLlm; }
  std::string_view summary() const override {
    return "every decode weight GEMV in the flash dies' compute cores, attention on an NPU with LPDDR5X "
           "(Cambricon-LLM, no-tiling configuration)";
  }
  std::vector<host::Category> breakdown_parts() const override;
  std::vector<Parameter> parameters() const override;
  absl::Status Normalize(const ModelFacts& model, v1::JobSpec* spec) const override;
  void ConfigureDriver(const v1::SystemSpec& system, host::DriverConfig* driver) const override;
  absl::Status Build(const v1::JobSpec& spec, const host::DriverConfig& driver, BuiltJob* job) const override;
};

// The flash chiplet's NAND model of a normalised system.cambricon_llm.
nand::NandConfig CambriconLlmNandConfig(const v1::CambriconLlmSystem& system, const v1::SimulationSpec& simulation);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CAMBRICON_LLM_CAMBRICON_LLM_SYSTEM_H_
