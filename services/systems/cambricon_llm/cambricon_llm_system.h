// cambricon_llm: Cambricon-LLM (Yu et al., MICRO 2024, arXiv 2409.15654;
// docs/cambricon-llm.md), an NPU chiplet beside a flash chiplet whose every
// die has one compute core shared by its planes. Every decode weight GEMV
// (Q/K/V, O, FFN, LM head) runs as read-compute requests in the flash dies;
// attention over the KV cache (in LPDDR5X), the SFU ops and the prefill
// run on the NPU. Defaults: Cambricon-LLM-L (Table II) with the paper's
// hardware-aware tiling (§V-B: the NPU reads a share of every weight
// matrix as normal page reads over the channels while the cores compute
// the rest; TiledGemvExecutor); NO_TILING (Fig. 14) sends every weight
// GEMV to the flash (FlashGemvExecutor).
#ifndef STRATA_SYSTEMS_CAMBRICON_LLM_CAMBRICON_LLM_SYSTEM_H_
#define STRATA_SYSTEMS_CAMBRICON_LLM_CAMBRICON_LLM_SYSTEM_H_

#include "services/nand/flash/nand_config.h"
#include "services/systems/cambricon_llm/tiled_gemv_executor.h"
#include "services/systems/core/system_builder.h"

namespace strata::systems {

class CambriconLlmSystem final : public SystemBuilder {
 public:
  std::string_view name() const override { return "cambricon_llm"; }
  v1::SystemSpec::KindCase kind() const override { return v1::SystemSpec::kCambriconLlm; }
  std::string_view summary() const override {
    return "decode weight GEMVs in the flash dies' compute cores (tiled: the NPU reads a share of each matrix "
           "over the channels), attention on an NPU with LPDDR5X (Cambricon-LLM)";
  }
  std::vector<host::Category> breakdown_parts() const override;
  std::vector<Parameter> parameters() const override;
  absl::Status Normalize(const ModelFacts& model, v1::JobSpec* spec) const override;
  void ConfigureDriver(const v1::SystemSpec& system, host::DriverConfig* driver) const override;
  absl::Status Build(const v1::JobSpec& spec, const host::DriverConfig& driver, BuiltJob* job) const override;
};

// The flash chiplet's NAND model of a normalised system.cambricon_llm; with
// `split_planes` (TILED's layout) each die's two plane halves are two dies.
nand::NandConfig CambriconLlmNandConfig(const v1::CambriconLlmSystem& system, const v1::SimulationSpec& simulation,
                                        bool split_planes);
inline nand::NandConfig CambriconLlmNandConfig(const v1::CambriconLlmSystem& system,
                                               const v1::SimulationSpec& simulation) {
  return CambriconLlmNandConfig(system, simulation, system.tiling() != v1::NO_TILING);
}

// §V-B's rates for the physical (unsplit) flash `physical`: a read-compute
// request's time t_rc, the dies' compute rate B_flash and the channels'
// rate left for normal reads B_channel.
TilingRates SectionVBRates(const v1::CambriconLlmSystem& system, const nand::NandConfig& physical);
// §V-B's balance in bytes: B_channel / (B_flash + B_channel), the NPU's
// share that keeps the cores and the channels' reads equally busy.
double BalancedNpuWeightShare(const v1::CambriconLlmSystem& system, const nand::NandConfig& physical);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CAMBRICON_LLM_CAMBRICON_LLM_SYSTEM_H_
