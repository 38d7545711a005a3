#include "sweep/sweep.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/coordinator/job/job_runner.h"

namespace strata::coordinator {

absl::StatusOr<FieldRef> ResolveScalarField(v1::JobSpec* job, const std::string& path, std::string_view what) {
  using google::protobuf::FieldDescriptor;
  const std::string label = absl::StrCat(absl::string_view(what.data(), what.size()), " '", path, "'");
  google::protobuf::Message* msg = job;
  const std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* f = msg->GetDescriptor()->FindFieldByName(parts[i]);
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(label, ": ", msg->GetDescriptor()->name(), " has no field '", parts[i], "'"));
    }
    if (f->is_repeated()) {
      return absl::InvalidArgumentError(absl::StrCat(label, ": '", parts[i], "' is repeated"));
    }
    const bool last = i + 1 == parts.size();
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (last) return absl::InvalidArgumentError(absl::StrCat(label, " names a message; name one of its fields"));
      msg = msg->GetReflection()->MutableMessage(msg, f);  // also selects the oneof branch
      continue;
    }
    if (!last) return absl::InvalidArgumentError(absl::StrCat(label, ": '", parts[i], "' is not a message"));
    return FieldRef{msg, f};
  }
  return absl::InvalidArgumentError(absl::StrCat(label, ": empty path"));
}

absl::Status SetField(v1::JobSpec* job, const std::string& path, const std::string& value) {
  using google::protobuf::FieldDescriptor;
  auto field = ResolveScalarField(job, path, "sweep axis");
  if (!field.ok()) return field.status();
  google::protobuf::Message* msg = field->message;
  const FieldDescriptor* f = field->field;
  const google::protobuf::Reflection* r = msg->GetReflection();
  auto bad = [&](std::string_view kind) {
    return absl::InvalidArgumentError(absl::StrCat("sweep axis '", path, "': value '", value, "' is not ",
                                                   absl::string_view(kind.data(), kind.size())));
  };
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: r->SetString(msg, f, value); break;
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v;
      if (!absl::SimpleAtod(value, &v)) return bad("a number");
      r->SetDouble(msg, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(value, &v)) return bad("an integer");
      r->SetInt32(msg, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(value, &v)) return bad("an integer");
      r->SetInt64(msg, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!absl::SimpleAtoi(value, &v)) return bad("a non-negative integer");
      r->SetUInt64(msg, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (!absl::SimpleAtob(value, &v)) return bad("true or false");
      r->SetBool(msg, f, v);
      break;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = f->enum_type()->FindValueByName(value);
      if (e == nullptr) {
        std::string names;
        for (int k = 0; k < f->enum_type()->value_count(); ++k) {
          absl::StrAppend(&names, k ? ", " : "", f->enum_type()->value(k)->name());
        }
        return bad(absl::StrCat("one of ", names));
      }
      r->SetEnum(msg, f, e);
      break;
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat("sweep axis '", path, "': unsupported field type"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SweepPoint>> ExpandSweep(const v1::SweepSpec& sweep, size_t max_points) {
  size_t total = 1;
  for (int a = 0; a < sweep.axes_size(); ++a) {
    const v1::SweepAxis& axis = sweep.axes(a);
    if (axis.values_size() == 0) {
      return absl::InvalidArgumentError(absl::StrCat("axes[", a, "] ('", axis.field(), "') has no values"));
    }
    total *= static_cast<size_t>(axis.values_size());
    if (total > max_points) {
      return absl::InvalidArgumentError(
          absl::StrCat("the sweep has more than ", max_points, " points; allowed: at most ", max_points));
    }
  }
  std::vector<SweepPoint> points;
  points.reserve(total);
  std::vector<int> index(sweep.axes_size(), 0);
  for (size_t n = 0; n < total; ++n) {
    SweepPoint point;
    point.job = sweep.base();
    for (int a = 0; a < sweep.axes_size(); ++a) {
      const std::string& value = sweep.axes(a).values(index[a]);
      if (absl::Status s = SetField(&point.job, sweep.axes(a).field(), value); !s.ok()) return s;
      point.coordinates.emplace_back(sweep.axes(a).field(), value);
    }
    point.job.set_name(sweep.name().empty() ? "" : absl::StrCat(sweep.name(), "/", n));
    points.push_back(std::move(point));
    // Odometer: the last axis turns fastest.
    for (int a = sweep.axes_size() - 1; a >= 0; --a) {
      if (++index[a] < sweep.axes(a).values_size()) break;
      index[a] = 0;
    }
  }
  return points;
}

absl::StatusOr<v1::SweepSpec> LoadSweepSpec(const std::string& path) {
  auto text = ReadTextFile(path, "sweep spec");
  if (!text.ok()) return text.status();
  v1::SweepSpec sweep;
  if (absl::Status s = ParseTextFormat(*text, &sweep, "sweep spec"); !s.ok()) return s;
  return sweep;
}

}  // namespace strata::coordinator
