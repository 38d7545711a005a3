// SystemBuilder: everything strata knows about one system (nvllm, aif, ...)
// behind one interface, so a job's assembly reads the same for all of them.
// Each system lives in its own folder under services/systems/ with its
// defaults, its conversion from the spec to model configs, its graph and its
// host-side executors; services/systems/job/system_registry.cc lists them.
#ifndef STRATA_SYSTEMS_CORE_SYSTEM_BUILDER_H_
#define STRATA_SYSTEMS_CORE_SYSTEM_BUILDER_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "services/host/model/model_catalog.h"
#include "services/host/workload/decode_driver.h"
#include "services/host/workload/ops.h"
#include "services/systems/core/built_job.h"
#include "services/systems/core/parameters.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

// What a system's checks need to know of the model and workload (already
// normalised when Normalize runs).
struct ModelFacts {
  const host::ModelShape& shape;
  host::WeightType weight_type;
  int64_t weight_bytes = 0;  // every weight of the model
  int64_t kv_bytes = 0;      // the whole run's KV cache
};

class SystemBuilder {
 public:
  virtual ~SystemBuilder() = default;

  // The SystemSpec field that selects this system ("nvllm").
  virtual std::string_view name() const = 0;
  virtual v1::SystemSpec::KindCase kind() const = 0;
  // One line on what the system is, for `strata describe`.
  virtual std::string_view summary() const = 0;
  // The parts of JobResult.time_per_token_breakdown this system's graph
  // can fill (the others stay zero).
  virtual std::vector<host::Category> breakdown_parts() const = 0;
  // Every field of the system's message, declared once with its unit,
  // default, allowed range and source (parameters.h); Normalize applies the
  // plain ranges from it and `strata describe` prints it.
  virtual std::vector<Parameter> parameters() const = 0;

  // Fills the system's unset fields with their documented defaults and
  // checks every one, alone and against the model (capacity);
  // INVALID_ARGUMENT names the field, the value and the allowed range.
  virtual absl::Status Normalize(const ModelFacts& model, v1::JobSpec* spec) const = 0;
  // How the decode driver splits the work between the host and the system.
  virtual void ConfigureDriver(const v1::SystemSpec& /*system*/, host::DriverConfig* /*driver*/) const {}
  // Adds the system's components to job->sim, links them to job->driver,
  // and names the job's resources (a normalised spec).
  virtual absl::Status Build(const v1::JobSpec& spec, const host::DriverConfig& driver, BuiltJob* job) const = 0;
};

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CORE_SYSTEM_BUILDER_H_
