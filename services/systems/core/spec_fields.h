// The two shapes every check of a job spec's fields takes: the error that
// names a bad field, and "fill the documented default, then check the
// range" for numeric fields.
#ifndef STRATA_SYSTEMS_CORE_SPEC_FIELDS_H_
#define STRATA_SYSTEMS_CORE_SPEC_FIELDS_H_

#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace strata::systems {

// INVALID_ARGUMENT "<field> = <value>; allowed: <allowed>": the one shape of
// a bad-field error in job specs.
absl::Status Invalid(std::string_view field, double value, std::string_view allowed);

// Field `name` of `msg` (at `path` in the job): set to `fallback` when unset
// (0), then checked against [min, max]. Works for double, int32 and uint64
// fields through protobuf reflection, so each default is one line.
absl::Status DefaultAndRange(google::protobuf::Message* msg, std::string_view path, const char* name,
                             double fallback, double min, double max);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CORE_SPEC_FIELDS_H_
