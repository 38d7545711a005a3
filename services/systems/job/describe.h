// `strata describe [SYSTEM]`: every parameter of a system (or of all of
// them) with its default, unit, allowed range and source, from the
// declarations on the models (parameters.h), as a table or JSON.
#ifndef STRATA_SYSTEMS_JOB_DESCRIBE_H_
#define STRATA_SYSTEMS_JOB_DESCRIBE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace strata::systems {

// `system` empty: every system. `format`: "text" or "json".
// INVALID_ARGUMENT names an unknown system or format.
absl::StatusOr<std::string> DescribeSystems(std::string_view system, std::string_view format);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_JOB_DESCRIBE_H_
