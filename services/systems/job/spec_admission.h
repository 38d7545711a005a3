// Spec admission: the checks every JobSpec passes before any system looks
// at it, done once for all fields by walking the message with protobuf
// reflection, so a field added to the proto later is covered without
// anyone remembering to. Each system's own range checks (NormalizeJobSpec)
// come after and may then assume:
//   - every enum field holds one of its named values (proto3 enums are
//     open: an unknown number parses and would otherwise be stored);
//   - every float and double is finite (NaN passes `< 0 || > max` checks);
//   - every string is valid UTF-8 and at most kMaxSpecStringBytes long;
//   - every repeated field has at most kMaxSpecRepeatedEntries entries.
// Errors are INVALID_ARGUMENT naming the field's full path
// (`model.custom.ffn_kind = 9; allowed: ...`); echoed values are cut to
// kMaxEchoedChars, so an error always fits in gRPC's metadata.
#ifndef STRATA_SYSTEMS_JOB_SPEC_ADMISSION_H_
#define STRATA_SYSTEMS_JOB_SPEC_ADMISSION_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace strata::systems {

// Names, catalog names and paths are short; 4 KiB leaves room for any
// real one and keeps a stored job and its error messages small.
inline constexpr size_t kMaxSpecStringBytes = 4096;
inline constexpr int kMaxSpecRepeatedEntries = 1024;
// Request ids are client-chosen keys (a UUID is 36 characters).
inline constexpr size_t kMaxRequestIdBytes = 256;
// How much of a client's value an error message repeats.
inline constexpr size_t kMaxEchoedChars = 64;

// OK, or INVALID_ARGUMENT naming the first field (by path) that breaks one
// of the rules above. Works on any message (JobSpec, SweepSpec, ...).
absl::Status CheckSpecAdmission(const google::protobuf::Message& spec);

// `value` cut to kMaxEchoedChars bytes (at a UTF-8 character boundary)
// with "... (N bytes)" appended when cut; invalid UTF-8 is shown escaped.
std::string TruncateForMessage(std::string_view value);

bool IsValidUtf8(std::string_view text);

// Protobuf refuses to parse a proto3 message whose string field holds
// invalid UTF-8, and gRPC then answers INTERNAL with an empty message.
// This reads `bytes` as wire format without that check (as unknown
// fields) and names the first such field by path ("spec.name"), or
// returns "" if none is found.
std::string InvalidUtf8FieldPath(std::string_view bytes, const google::protobuf::Descriptor& type);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_JOB_SPEC_ADMISSION_H_
