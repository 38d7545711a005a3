// in_memory: a CPU roofline over DRAM that holds every weight and the KV
// cache. Defaults: the AiF paper's "In-Memory" machine (REFERENCE.md),
// 128 GB DDR5 at 86.4 GB/s, Intel i9-14900KS.
#ifndef STRATA_SYSTEMS_IN_MEMORY_IN_MEMORY_SYSTEM_H_
#define STRATA_SYSTEMS_IN_MEMORY_IN_MEMORY_SYSTEM_H_

#include "services/systems/core/system_builder.h"

namespace strata::systems {

class InMemorySystem final : public SystemBuilder {
 public:
  std::string_view name() const override { return "in_memory"; }
  v1::SystemSpec::KindCase kind() const override { return v1::SystemSpec::kInMemory; }
  std::string_view summary() const override { return "CPU roofline over DRAM holding every weight (AiF's In-Memory)"; }
  std::vector<host::Category> breakdown_parts() const override;
  std::vector<Parameter> parameters() const override;
  absl::Status Normalize(const ModelFacts& model, v1::JobSpec* spec) const override;
  absl::Status Build(const v1::JobSpec& spec, const host::DriverConfig& driver, BuiltJob* job) const override;
};

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_IN_MEMORY_IN_MEMORY_SYSTEM_H_
