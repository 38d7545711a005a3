#include "services/systems/in_memory/in_memory_system.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/systems/core/energy_activity.h"
#include "services/systems/core/host_spec.h"
#include "services/systems/core/links.h"
#include "services/systems/core/model_spec.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {

std::vector<host::Category> InMemorySystem::breakdown_parts() const {
  return {host::Category::kHostAttention, host::Category::kHostGemv, host::Category::kHostOther,
          host::Category::kSynchronization};
}

std::vector<Parameter> InMemorySystem::parameters() const {
  // The AiF paper's In-Memory machine: 128 GB of DDR5 (REFERENCE.md).
  return DesktopHostParameters("cpu", "dram", 128.0);
}

absl::Status InMemorySystem::Normalize(const ModelFacts& model, v1::JobSpec* spec) const {
  v1::InMemorySystem* system = spec->mutable_system()->mutable_in_memory();
  RETURN_IF_ERROR(ApplyParameters(parameters(), "system.in_memory", system));
  const double capacity = system->dram().capacity_gib();
  const int64_t weights = model.weight_bytes, kv = model.kv_bytes;
  if (static_cast<double>(weights + kv) > capacity * kGiB) {
    return absl::InvalidArgumentError(absl::StrCat(
        "system.in_memory.dram.capacity_gib = ", capacity, " cannot hold ", model.shape.name, "'s ",
        absl::StrFormat("%.1f", weights / kGiB), " GiB of weights plus ", absl::StrFormat("%.1f", kv / kGiB),
        " GiB of KV cache; allowed: >= ", absl::StrFormat("%.1f", (weights + kv) / kGiB)));
  }
  return absl::OkStatus();
}

absl::Status InMemorySystem::Build(const v1::JobSpec& spec, const host::DriverConfig&, BuiltJob* job) const {
  job->system = "in_memory";
  sim::Simulation& sim = *job->sim;
  const auto& m = spec.system().in_memory();
  auto* cpu = sim.Emplace<host::RooflineExecutor>("cpu", HostRoofline("cpu", m.cpu(), m.dram()));
  RETURN_IF_ERROR(sim.Connect(job->driver->id(), "host", cpu->id(), "driver", kDispatchLatency));
  job->resources.push_back({"dram", [cpu] { return cpu->busy_time(); }, [cpu] { return cpu->memory_bytes(); }});
  AddDesktopCpuEnergyActivity(cpu, m.dram().capacity_gib(), job);
  return absl::OkStatus();
}

}  // namespace strata::systems
