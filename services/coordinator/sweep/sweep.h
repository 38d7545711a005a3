// Sweeps: expand a strata.v1.SweepSpec into its grid of jobs.
#ifndef STRATA_COORDINATOR_SWEEP_SWEEP_H_
#define STRATA_COORDINATOR_SWEEP_SWEEP_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "strata/v1/sweep.pb.h"

namespace strata::coordinator {

// One grid point: its job and the (field, value) pairs that made it.
struct SweepPoint {
  v1::JobSpec job;
  std::vector<std::pair<std::string, std::string>> coordinates;
};

// A scalar field inside a job: the message that holds it and its descriptor.
struct FieldRef {
  google::protobuf::Message* message;
  const google::protobuf::FieldDescriptor* field;
};
// Walks dotted `path` (creating sub-messages, selecting oneof branches) to
// a scalar field. Errors start with "<what> '<path>'" and say which part is
// missing, repeated, or a message where a scalar is needed (or vice versa).
absl::StatusOr<FieldRef> ResolveScalarField(v1::JobSpec* job, const std::string& path, std::string_view what);

// Sets the JobSpec field at dotted `path` from its text form. Errors name
// the path and say what was wrong (no such field, a repeated or message
// field, a value that does not parse as the field's type).
absl::Status SetField(v1::JobSpec* job, const std::string& path, const std::string& value);

// The cross product of the axes over the base job, first axis slowest.
// Errors: an axis without values, a bad field or value, or more than
// `max_points` jobs.
absl::StatusOr<std::vector<SweepPoint>> ExpandSweep(const v1::SweepSpec& sweep, size_t max_points = 100000);

absl::StatusOr<v1::SweepSpec> LoadSweepSpec(const std::string& path);

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_SWEEP_SWEEP_H_
