// The systems strata can simulate, one SystemBuilder each. Adding a system
// means adding its folder under services/systems/ and one line in
// system_registry.cc.
#ifndef STRATA_SYSTEMS_JOB_SYSTEM_REGISTRY_H_
#define STRATA_SYSTEMS_JOB_SYSTEM_REGISTRY_H_

#include <memory>
#include <string_view>
#include <vector>

#include "services/systems/core/system_builder.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

// Every system, in the order SystemSpec declares them.
const std::vector<std::unique_ptr<SystemBuilder>>& Systems();
// The builder of a spec's system, or null when none is set.
const SystemBuilder* FindSystem(v1::SystemSpec::KindCase kind);
// By name ("nvllm"), or null.
const SystemBuilder* FindSystem(std::string_view name);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_JOB_SYSTEM_REGISTRY_H_
