// Job specs: reading them (text format or JSON) and normalising them
// (every unset field takes its documented default, every field is checked;
// the system's part is its SystemBuilder's).
#ifndef STRATA_SYSTEMS_JOB_JOB_SPEC_H_
#define STRATA_SYSTEMS_JOB_JOB_SPEC_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

// Reads a whole file; NOT_FOUND names it and says what it was for.
absl::StatusOr<std::string> ReadTextFile(const std::string& path, std::string_view what);
// Parses protobuf text format; INVALID_ARGUMENT gives `what`, line and column.
absl::Status ParseTextFormat(const std::string& text, google::protobuf::Message* out, std::string_view what);

// Parses a job from text format (.textproto) or JSON (.json), by file name.
absl::StatusOr<v1::JobSpec> LoadJobSpec(const std::string& path);
absl::StatusOr<v1::JobSpec> ParseJobSpecText(const std::string& text);
absl::StatusOr<v1::JobSpec> ParseJobSpecJson(const std::string& json);

// Fills unset fields with their documented defaults and checks every field;
// INVALID_ARGUMENT names the field path, the value and the allowed range.
absl::StatusOr<v1::JobSpec> NormalizeJobSpec(v1::JobSpec spec);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_JOB_JOB_SPEC_H_
