#include "services/systems/job/spec_admission.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/unknown_field_set.h"

namespace strata::systems {

using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

namespace {
// The walk below, for `m` found at `prefix` ("" at the top).
absl::Status CheckSpecAdmissionAt(const Message& m, const std::string& prefix);

std::string AllowedEnumValues(const EnumDescriptor& e) {
  std::vector<std::string> names;
  for (int i = 0; i < e.value_count(); ++i) names.push_back(e.value(i)->name());
  return absl::StrCat("one of ", absl::StrJoin(names, ", "));
}

// The checks for one value of `field` (element `index` when repeated, else
// -1) at `path`.
absl::Status CheckValue(const Message& m, const FieldDescriptor& field, int index, const std::string& path) {
  const Reflection& r = *m.GetReflection();
  const bool repeated = index >= 0;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int value = repeated ? r.GetRepeatedEnumValue(m, &field, index) : r.GetEnumValue(m, &field);
      if (field.enum_type()->FindValueByNumber(value) == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, " = ", value, "; allowed: ", AllowedEnumValues(*field.enum_type())));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      const double value = field.cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE
                               ? (repeated ? r.GetRepeatedDouble(m, &field, index) : r.GetDouble(m, &field))
                               : (repeated ? r.GetRepeatedFloat(m, &field, index) : r.GetFloat(m, &field));
      if (!std::isfinite(value)) {
        return absl::InvalidArgumentError(absl::StrCat(path, " = ", value, "; allowed: a finite number"));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& value = repeated ? r.GetRepeatedStringReference(m, &field, index, &scratch)
                                          : r.GetStringReference(m, &field, &scratch);
      if (value.size() > kMaxSpecStringBytes) {
        return absl::InvalidArgumentError(absl::StrCat(path, " has ", value.size(), " bytes ('",
                                                       TruncateForMessage(value), "'); allowed: at most ",
                                                       kMaxSpecStringBytes));
      }
      if (field.type() == FieldDescriptor::TYPE_STRING && !IsValidUtf8(value)) {
        return absl::InvalidArgumentError(absl::StrCat(path, " = '", TruncateForMessage(value),
                                                       "' is not valid UTF-8; allowed: UTF-8 text"));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& sub = repeated ? r.GetRepeatedMessage(m, &field, index) : r.GetMessage(m, &field);
      return CheckSpecAdmissionAt(sub, path);
    }
    default: return absl::OkStatus();  // integers and bools: every value is a value; systems check ranges
  }
}

absl::Status CheckSpecAdmissionAt(const Message& m, const std::string& prefix) {
  const Reflection& r = *m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r.ListFields(m, &fields);  // set fields only: defaults are valid by construction
  for (const FieldDescriptor* field : fields) {
    const std::string path = prefix.empty() ? field->name() : absl::StrCat(prefix, ".", field->name());
    if (!field->is_repeated()) {
      if (absl::Status s = CheckValue(m, *field, -1, path); !s.ok()) return s;
      continue;
    }
    const int n = r.FieldSize(m, field);
    if (n > kMaxSpecRepeatedEntries) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " has ", n, " entries; allowed: at most ", kMaxSpecRepeatedEntries));
    }
    for (int i = 0; i < n; ++i) {
      if (absl::Status s = CheckValue(m, *field, i, absl::StrCat(path, "[", i, "]")); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckSpecAdmission(const Message& spec) { return CheckSpecAdmissionAt(spec, ""); }

namespace {
std::string InvalidUtf8FieldPathAt(std::string_view bytes, const google::protobuf::Descriptor& type,
                                   const std::string& prefix, int depth) {
  google::protobuf::UnknownFieldSet fields;
  if (depth > 64 || !fields.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return "";
  for (int i = 0; i < fields.field_count(); ++i) {
    const google::protobuf::UnknownField& f = fields.field(i);
    if (f.type() != google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) continue;
    const FieldDescriptor* d = type.FindFieldByNumber(f.number());
    if (d == nullptr) continue;
    const std::string path = prefix.empty() ? d->name() : absl::StrCat(prefix, ".", d->name());
    if (d->type() == FieldDescriptor::TYPE_STRING && !IsValidUtf8(f.length_delimited())) return path;
    if (d->type() == FieldDescriptor::TYPE_MESSAGE) {
      std::string inner = InvalidUtf8FieldPathAt(f.length_delimited(), *d->message_type(), path, depth + 1);
      if (!inner.empty()) return inner;
    }
  }
  return "";
}
}  // namespace

std::string InvalidUtf8FieldPath(std::string_view bytes, const google::protobuf::Descriptor& type) {
  return InvalidUtf8FieldPathAt(bytes, type, "", 0);
}

bool IsValidUtf8(std::string_view text) {
  // Protobuf's own validator (the one its parser applies to proto3 strings).
  return google::protobuf::internal::IsStructurallyValidUTF8(text.data(), static_cast<int>(text.size()));
}

std::string TruncateForMessage(std::string_view value) {
  if (!IsValidUtf8(value)) {
    std::string escaped = absl::CHexEscape(absl::string_view(value.data(), std::min(value.size(), kMaxEchoedChars)));
    if (value.size() > kMaxEchoedChars) absl::StrAppend(&escaped, "... (", value.size(), " bytes)");
    return escaped;
  }
  if (value.size() <= kMaxEchoedChars) return std::string(value);
  size_t cut = kMaxEchoedChars;
  // Back up to the start of a character (continuation bytes are 10xxxxxx).
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(absl::string_view(value.data(), cut), "... (", value.size(), " bytes)");
}

}  // namespace strata::systems
