#include "services/systems/core/spec_fields.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace strata::systems {

absl::Status Invalid(std::string_view field, double value, std::string_view allowed) {
  return absl::InvalidArgumentError(absl::StrCat(absl::string_view(field.data(), field.size()), " = ", value,
                                                 "; allowed: ", absl::string_view(allowed.data(), allowed.size())));
}

absl::Status DefaultAndRange(google::protobuf::Message* msg, std::string_view path, const char* name,
                             double fallback, double min, double max) {
  const google::protobuf::FieldDescriptor* f = msg->GetDescriptor()->FindFieldByName(name);
  const google::protobuf::Reflection* r = msg->GetReflection();
  using Cpp = google::protobuf::FieldDescriptor::CppType;
  double value = 0;
  switch (f->cpp_type()) {
    case Cpp::CPPTYPE_DOUBLE: value = r->GetDouble(*msg, f); break;
    case Cpp::CPPTYPE_INT32: value = r->GetInt32(*msg, f); break;
    case Cpp::CPPTYPE_UINT64: value = static_cast<double>(r->GetUInt64(*msg, f)); break;
    default: return absl::InternalError(absl::StrCat("field ", name, " has an unsupported type"));
  }
  if (value == 0) {
    value = fallback;
    switch (f->cpp_type()) {
      case Cpp::CPPTYPE_DOUBLE: r->SetDouble(msg, f, value); break;
      case Cpp::CPPTYPE_INT32: r->SetInt32(msg, f, static_cast<int32_t>(value)); break;
      default: r->SetUInt64(msg, f, static_cast<uint64_t>(value)); break;
    }
  }
  const std::string field = path.empty() ? std::string(name) : absl::StrCat(absl::string_view(path.data(), path.size()), ".", name);
  if (!(value >= min && value <= max)) return Invalid(field, value, absl::StrCat(min, " to ", max));
  return absl::OkStatus();
}

}  // namespace strata::systems
