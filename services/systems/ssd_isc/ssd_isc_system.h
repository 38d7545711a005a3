// ssd_isc: SSD-like in-storage compute (NVLLM's comparison): the FFN runs
// on compute units in the SSD controller and its weights cross the flash
// channels; attention as in NVLLM, on CMOS logic with LPDDR5. Defaults:
// NVLLM's attention side and flash dies, ONFI 5.0 channels.
#ifndef STRATA_SYSTEMS_SSD_ISC_SSD_ISC_SYSTEM_H_
#define STRATA_SYSTEMS_SSD_ISC_SSD_ISC_SYSTEM_H_

#include "services/controller/isc/controller_gemv_engine.h"
#include "services/systems/core/system_builder.h"

namespace strata::systems {

class SsdIscSystem final : public SystemBuilder {
 public:
  std::string_view name() const override { return "ssd_isc"; }
  v1::SystemSpec::KindCase kind() const override { return v1::SystemSpec::kSsdIsc; }
  std::string_view summary() const override {
    return "FFN on compute units in the SSD controller, weights over the flash channels (NVLLM's SSD-like baseline)";
  }
  std::vector<host::Category> breakdown_parts() const override;
  std::vector<Parameter> parameters() const override;
  absl::Status Normalize(const ModelFacts& model, v1::JobSpec* spec) const override;
  void ConfigureDriver(const v1::SystemSpec& system, host::DriverConfig* driver) const override;
  absl::Status Build(const v1::JobSpec& spec, const host::DriverConfig& driver, BuiltJob* job) const override;
};

// The controller's GEMV engine and its NAND (a normalised system.ssd_isc).
controller::ControllerGemvConfig SsdIscConfig(const v1::SsdIscSystem& isc, host::WeightType type,
                                              const v1::SimulationSpec& simulation);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_SSD_ISC_SSD_ISC_SYSTEM_H_
