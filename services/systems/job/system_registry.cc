#include "services/systems/job/system_registry.h"

#include "services/systems/aif/aif_system.h"
#include "services/systems/cambricon_llm/cambricon_llm_system.h"
#include "services/systems/gpu_out_of_core/gpu_out_of_core_system.h"
#include "services/systems/in_memory/in_memory_system.h"
#include "services/systems/nvllm/nvllm_system.h"
#include "services/systems/ssd_isc/ssd_isc_system.h"
#include "services/systems/ssd_offload/ssd_offload_system.h"

namespace strata::systems {

const std::vector<std::unique_ptr<SystemBuilder>>& Systems() {
  static const auto* systems = [] {
    auto* all = new std::vector<std::unique_ptr<SystemBuilder>>;
    all->push_back(std::make_unique<NvllmSystem>());
    all->push_back(std::make_unique<AifSystem>());
    all->push_back(std::make_unique<GpuOutOfCoreSystem>());
    all->push_back(std::make_unique<SsdOffloadSystem>());
    all->push_back(std::make_unique<InMemorySystem>());
    all->push_back(std::make_unique<SsdIscSystem>());
    all->push_back(std::make_unique<CambriconLlmSystem>());
    return all;
  }();
  return *systems;
}

const SystemBuilder* FindSystem(v1::SystemSpec::KindCase kind) {
  for (const auto& system : Systems()) {
    if (system->kind() == kind) return system.get();
  }
  return nullptr;
}

const SystemBuilder* FindSystem(std::string_view name) {
  for (const auto& system : Systems()) {
    if (system->name() == name) return system.get();
  }
  return nullptr;
}

}  // namespace strata::systems
