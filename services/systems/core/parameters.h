// Parameters declared on the models, as sst-core's ELI and ns-3's
// attributes do: every field of a system's spec is declared once, with its
// unit, default, allowed range and source. The declaration drives the
// defaults, the range checks and their error messages
// (`field = value; allowed: min to max`), and `strata describe`.
//
// Numeric fields with a plain range are checked here (ApplyParameters).
// Fields whose rule is more than a range (enums, flags, a share that
// depends on the execution mode, capacities against the model) are declared
// with their rule in words (`allowed`) and checked by their system's code.
#ifndef STRATA_SYSTEMS_CORE_PARAMETERS_H_
#define STRATA_SYSTEMS_CORE_PARAMETERS_H_

#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace strata::systems {

struct Parameter {
  Parameter() = default;
  // A numeric field checked here: unset (0) takes `default_value`, then must
  // lie in [min, max].
  Parameter(std::string field, std::string unit, double default_value, double min, double max, std::string source)
      : field(std::move(field)), unit(std::move(unit)), default_value(default_value), min(min), max(max),
        source(std::move(source)) {}

  std::string field;   // below the system's message, e.g. "flash.timing.sense_per_level_us"
  std::string unit;    // "us", "GB/s", "" for a count
  double default_value = 0;  // taken when the field is 0 (unset)
  double min = 0, max = 0;   // allowed, inclusive
  std::string source;  // where the default comes from (a paper, a datasheet, or "assumption: ...")
  // When set, the default is this other field's value (e.g. "flash.channels").
  std::string default_from;
  // When set, the field is checked by its system's code and this says what
  // is allowed (and `default_text` what an unset field means).
  std::string allowed;
  std::string default_text;

  // A field its system's code checks, with the rule in words.
  static Parameter Rule(std::string field, std::string unit, std::string allowed, std::string default_text,
                        std::string source);

  bool checked_here() const { return allowed.empty(); }
  // The default and the allowed values as `strata describe` prints them.
  std::string DefaultText() const;
  std::string AllowedText() const;
};

// Fills and checks every `checked_here` parameter of `system` (the
// system's message, at `path` in the job, e.g. "system.nvllm"), in order:
// an unset (0) field takes its default, then must lie in [min, max];
// INVALID_ARGUMENT names the first bad field.
absl::Status ApplyParameters(const std::vector<Parameter>& parameters, std::string_view path,
                             google::protobuf::Message* system);

// Every leaf field (scalar, enum) below `type`, as dotted paths.
std::vector<std::string> LeafFields(const google::protobuf::Descriptor* type);

// Parameter groups several systems share, with `prefix` ("cpu", "flash")
// put before each field.
// The AiF paper's host (i9-14900KS, DDR5 at 86.4 GB/s) with `dram_gib` of DRAM.
std::vector<Parameter> DesktopHostParameters(std::string_view cpu, std::string_view dram, double dram_gib);
// NVLLM's CMOS attention logic and edge LPDDR5.
std::vector<Parameter> AttentionLogicParameters();
// NAND read phases and channel rate (defaults: services/nand's AiF TLC),
// with `channel_mts` as the channel's default rate.
std::vector<Parameter> NandTimingParameters(std::string_view prefix, double channel_mts, std::string_view mts_source);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CORE_PARAMETERS_H_
