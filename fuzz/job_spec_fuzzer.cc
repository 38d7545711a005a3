// libFuzzer target: a JobSpec as a client sends it, in each of the three
// forms the project reads (text format, JSON, binary protobuf), through
// the coordinator's admission (NormalizeJobSpec). It checks what the
// coordinator promises its clients, and traps otherwise:
//   - no crash, sanitizer report or hang on any input;
//   - a refusal is INVALID_ARGUMENT, RESOURCE_EXHAUSTED or NOT_FOUND with
//     a message that is not empty and is short enough for gRPC metadata;
//   - an accepted spec normalises again to itself (a partition service
//     normalises the spec the coordinator sends, and must agree).
// Building the graph is not fuzzed: an accepted spec may be large.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "services/coordinator/job/job_runner.h"

namespace {

void Check(const absl::StatusOr<strata::v1::JobSpec>& spec) {
  if (!spec.ok()) return;  // did not parse: the parser's own message
  auto normalized = strata::coordinator::NormalizeJobSpec(*spec);
  if (!normalized.ok()) {
    const absl::Status& s = normalized.status();
    const bool expected_code = s.code() == absl::StatusCode::kInvalidArgument ||
                               s.code() == absl::StatusCode::kResourceExhausted ||
                               s.code() == absl::StatusCode::kNotFound;
    if (!expected_code || s.message().empty() || s.message().size() > 4096) {
      std::fprintf(stderr, "bad refusal: %s\n", s.ToString().substr(0, 512).c_str());
      __builtin_trap();
    }
    return;
  }
  auto again = strata::coordinator::NormalizeJobSpec(*normalized);
  if (!again.ok() || !google::protobuf::util::MessageDifferencer::Equals(*again, *normalized)) {
    std::fprintf(stderr, "normalising twice differs: %s\n", again.status().ToString().c_str());
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return -1;  // specs are small; keep the fuzzer on structure, not length
  const std::string input(reinterpret_cast<const char*>(data), size);
  Check(strata::coordinator::ParseJobSpecText(input));
  Check(strata::coordinator::ParseJobSpecJson(input));
  strata::v1::JobSpec binary;
  if (binary.ParseFromString(input)) Check(binary);
  return 0;
}
