#include "services/systems/job/describe.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "services/systems/core/energy_model.h"
#include "services/systems/job/system_registry.h"

namespace strata::systems {
namespace {

std::string Text(const SystemBuilder& system) {
  std::string out = absl::StrCat(std::string(system.name()), ": ", std::string(system.summary()), "\n");
  std::vector<std::string> parts;
  for (host::Category c : system.breakdown_parts()) parts.push_back(std::string(host::CategoryName(c)));
  absl::StrAppend(&out, "  time per token split into: ", absl::StrJoin(parts, ", "), "\n");
  for (const Parameter& p : system.parameters()) {
    absl::StrAppendFormat(&out, "  system.%s.%s\n", std::string(system.name()), p.field);
    absl::StrAppendFormat(&out, "      default %s%s; allowed %s\n", p.DefaultText(),
                          p.unit.empty() ? "" : absl::StrCat(" ", p.unit), p.AllowedText());
    absl::StrAppendFormat(&out, "      source: %s\n", p.source);
  }
  return out;
}

google::protobuf::Value Json(const SystemBuilder& system) {
  google::protobuf::Value v;
  auto& fields = *v.mutable_struct_value()->mutable_fields();
  fields["system"].set_string_value(std::string(system.name()));
  fields["summary"].set_string_value(std::string(system.summary()));
  for (host::Category c : system.breakdown_parts()) {
    fields["breakdown_parts"].mutable_list_value()->add_values()->set_string_value(std::string(host::CategoryName(c)));
  }
  google::protobuf::ListValue* list = fields["parameters"].mutable_list_value();
  for (const Parameter& p : system.parameters()) {
    auto& f = *list->add_values()->mutable_struct_value()->mutable_fields();
    f["field"].set_string_value(absl::StrCat("system.", std::string(system.name()), ".", p.field));
    f["unit"].set_string_value(p.unit);
    f["source"].set_string_value(p.source);
    f["allowed"].set_string_value(p.AllowedText());
    if (p.checked_here() && p.default_from.empty()) {
      f["default"].set_number_value(p.default_value);
      f["min"].set_number_value(p.min);
      f["max"].set_number_value(p.max);
    } else {
      f["default"].set_string_value(p.DefaultText());
    }
  }
  return v;
}

// The energy coefficients every system's result is priced with.
std::string EnergyText() {
  std::string out = "energy coefficients (JobResult.energy; services/systems/core/energy_model.cc)\n";
  for (const EnergyCoefficient& c : EnergyCoefficients()) {
    const char* unit = c.unit == EnergyUnit::kPicojoulesPerCount ? "pJ per"
                       : c.unit == EnergyUnit::kWattsWhileBusy     ? "W over each"
                                                                   : "W per";
    absl::StrAppendFormat(&out, "  %s -> %s: %.4g %s %s\n      source: %s\n", c.activity, EnergyPartName(c.part),
                          c.value, unit, c.counts, c.source);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> DescribeSystems(std::string_view name, std::string_view format) {
  std::vector<const SystemBuilder*> chosen;
  if (name.empty()) {
    for (const auto& s : Systems()) chosen.push_back(s.get());
  } else if (const SystemBuilder* s = FindSystem(name); s != nullptr) {
    chosen.push_back(s);
  } else {
    std::vector<std::string> names;
    for (const auto& s : Systems()) names.push_back(std::string(s->name()));
    return absl::InvalidArgumentError(absl::StrCat("system = '", absl::string_view(name.data(), name.size()),
                                                   "'; allowed: ", absl::StrJoin(names, ", ")));
  }
  if (format == "text") {
    std::string out;
    for (const SystemBuilder* s : chosen) absl::StrAppend(&out, Text(*s), "\n");
    if (name.empty()) absl::StrAppend(&out, EnergyText());
    return out;
  }
  if (format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("--format = '", absl::string_view(format.data(), format.size()), "'; allowed: text, json"));
  }
  google::protobuf::Value all;
  for (const SystemBuilder* s : chosen) *all.mutable_list_value()->add_values() = Json(*s);
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  const auto status = google::protobuf::util::MessageToJsonString(name.empty() ? all : all.list_value().values(0), &json, options);
  if (!status.ok()) return absl::InternalError(status.ToString());
  return json;
}

}  // namespace strata::systems
