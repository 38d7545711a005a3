// aif: AiF's SSD (8 channels x 2 chips, TLC with cr-read, be-enc and
// ECCLITE, INT8 PEs per chip) behind NVMe. aif_post places every weight
// matrix before the first token; each decode GEMV is one aif_gemv (or, with
// execution PARALLEL, split by rows between the host and the SSD); the host
// CPU does the rest. Defaults: the paper's host (i9-14900KS) with 8 GB of
// DRAM (REFERENCE.md: "AiF: 8 GB DRAM + AiF SSD").
#ifndef STRATA_SYSTEMS_AIF_AIF_SYSTEM_H_
#define STRATA_SYSTEMS_AIF_AIF_SYSTEM_H_

#include "services/controller/aif/aif_ssd.h"
#include "services/systems/core/system_builder.h"

namespace strata::systems {

class AifSystem final : public SystemBuilder {
 public:
  std::string_view name() const override { return "aif"; }
  v1::SystemSpec::KindCase kind() const override { return v1::SystemSpec::kAif; }
  std::string_view summary() const override {
    return "GEMV in the SSD's flash chips (AiF): cr-read, be-enc, ECCLITE and INT8 PEs per chip, behind NVMe";
  }
  std::vector<host::Category> breakdown_parts() const override;
  std::vector<Parameter> parameters() const override;
  absl::Status Normalize(const ModelFacts& model, v1::JobSpec* spec) const override;
  void ConfigureDriver(const v1::SystemSpec& system, host::DriverConfig* driver) const override;
  absl::Status Build(const v1::JobSpec& spec, const host::DriverConfig& driver, BuiltJob* job) const override;
};

// The SSD model of a normalised system.aif.
controller::AifSsdConfig AifConfig(const v1::AifSystem& aif, const v1::SimulationSpec& simulation);

// The AiF SSD's internal GEMV bandwidth as its configuration gives it:
// every chip streams its planes' pages at one tR each, bounded by the
// chip's ECCLITE and its INT8 PEs (one byte per weight).
double AifInternalBytesPerSecond(const controller::AifSsdConfig& config);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_AIF_AIF_SYSTEM_H_
