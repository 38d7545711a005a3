#include "services/systems/core/parameters.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/nand/flash/nand_config.h"
#include "services/systems/core/spec_fields.h"
#include "services/systems/core/sustained_bandwidth.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {

Parameter Parameter::Rule(std::string field, std::string unit, std::string allowed, std::string default_text,
                           std::string source) {
  Parameter p(std::move(field), std::move(unit), 0, 0, 0, std::move(source));
  p.allowed = std::move(allowed);
  p.default_text = std::move(default_text);
  return p;
}

std::string Parameter::DefaultText() const {
  if (!default_text.empty()) return default_text;
  if (!default_from.empty()) return absl::StrCat("= ", default_from);
  return absl::StrCat(default_value);
}

std::string Parameter::AllowedText() const {
  if (!allowed.empty()) return allowed;
  return absl::StrCat(min, " to ", max);
}

namespace {

// The number in field `name` of `msg` (double, int32 or uint64), or 0.
double NumberOf(const google::protobuf::Message& msg, const google::protobuf::FieldDescriptor* f) {
  const google::protobuf::Reflection* r = msg.GetReflection();
  using Cpp = google::protobuf::FieldDescriptor::CppType;
  switch (f->cpp_type()) {
    case Cpp::CPPTYPE_DOUBLE: return r->GetDouble(msg, f);
    case Cpp::CPPTYPE_INT32: return r->GetInt32(msg, f);
    case Cpp::CPPTYPE_UINT64: return static_cast<double>(r->GetUInt64(msg, f));
    default: return 0;
  }
}

// The message holding the dotted `field` below `root` (created as the
// generated mutable_ accessors do), and the leaf's name.
absl::Status Walk(google::protobuf::Message* root, std::string_view field, google::protobuf::Message** holder,
                  std::string* leaf, std::string* holder_path) {
  std::vector<std::string> parts = absl::StrSplit(absl::string_view(field.data(), field.size()), '.');
  google::protobuf::Message* msg = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const google::protobuf::FieldDescriptor* f = msg->GetDescriptor()->FindFieldByName(parts[i]);
    if (f == nullptr || f->message_type() == nullptr) {
      return absl::InternalError(absl::StrCat("parameter ", parts[i], " is not a message field"));
    }
    msg = msg->GetReflection()->MutableMessage(msg, f);
    absl::StrAppend(holder_path, ".", parts[i]);
  }
  if (msg->GetDescriptor()->FindFieldByName(parts.back()) == nullptr) {
    return absl::InternalError(absl::StrCat("parameter ", absl::string_view(field.data(), field.size()), " is not a field"));
  }
  *holder = msg;
  *leaf = parts.back();
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyParameters(const std::vector<Parameter>& parameters, std::string_view path,
                             google::protobuf::Message* system) {
  for (const Parameter& p : parameters) {
    if (!p.checked_here()) continue;
    google::protobuf::Message* holder = nullptr;
    std::string leaf, holder_path(path);
    RETURN_IF_ERROR(Walk(system, p.field, &holder, &leaf, &holder_path));
    double fallback = p.default_value;
    if (!p.default_from.empty()) {
      google::protobuf::Message* from = nullptr;
      std::string from_leaf, unused;
      RETURN_IF_ERROR(Walk(system, p.default_from, &from, &from_leaf, &unused));
      fallback = NumberOf(*from, from->GetDescriptor()->FindFieldByName(from_leaf));
    }
    RETURN_IF_ERROR(DefaultAndRange(holder, holder_path, leaf.c_str(), fallback, p.min, p.max));
  }
  return absl::OkStatus();
}

std::vector<std::string> LeafFields(const google::protobuf::Descriptor* type) {
  std::vector<std::string> out;
  for (int i = 0; i < type->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = type->field(i);
    if (f->message_type() != nullptr) {
      for (const std::string& below : LeafFields(f->message_type())) out.push_back(absl::StrCat(f->name(), ".", below));
    } else {
      out.push_back(f->name());
    }
  }
  return out;
}

std::vector<Parameter> DesktopHostParameters(std::string_view cpu_name, std::string_view dram_name, double dram_gib) {
  const std::string cpu(cpu_name), dram(dram_name);
  return {
      {cpu + ".peak_tflops", "TFLOP/s", 2.0, 1e-3, 1e4,
       "assumption: sustained llama.cpp int8 matmul on the i9-14900KS (~10 TOPS peak with AVX-VNNI, Intel ARK); "
       "decode GEMV is bandwidth-bound and barely depends on it"},
      {cpu + ".vector_gflops", "GFLOP/s", 200.0, 1e-3, 1e6, "assumption: AVX2 fp32 on 24 cores, sustained"},
      {cpu + ".per_op_overhead_us", "us", 2.0, 0.0, 1e6, "assumption: llama.cpp thread-pool fork/join per op"},
      {dram + ".bandwidth_gbps", "GB/s", 86.4, 1e-3, 1e5, "AiF paper: DDR5 at 86.4 GB/s (REFERENCE.md)"},
      {dram + ".capacity_gib", "GiB", dram_gib, 1e-3, 1e6, "AiF paper: the system's DRAM (REFERENCE.md)"},
      {dram + ".sustained_fraction", "", kDdr5SustainedFraction, 1e-3, 1.0, kDdr5SustainedSource},
  };
}

std::vector<Parameter> AttentionLogicParameters() {
  const std::string logic_source = "assumption: NVLLM's 28 nm CMOS logic beside the arrays (unpublished)";
  return {
      {"attention_logic.peak_tflops", "TFLOP/s", 4.0, 1e-3, 1e4, logic_source},
      {"attention_logic.vector_gflops", "GFLOP/s", 500.0, 1e-3, 1e6, logic_source},
      {"attention_logic.per_op_overhead_us", "us", 0.1, 0.0, 1e6,
       "assumption: a hardware sequencer, no software dispatch"},
      {"dram.bandwidth_gbps", "GB/s", 51.2, 1e-3, 1e5, "edge LPDDR5, 64-bit at 6400 MT/s (REFERENCE.md, typical)"},
      {"dram.capacity_gib", "GiB", 32.0, 1e-3, 1e6, "assumption: an edge device's LPDDR5"},
      {"dram.sustained_fraction", "", kLpddr5SustainedFraction, 1e-3, 1.0, kLpddr5SustainedSource},
  };
}

std::vector<Parameter> NandTimingParameters(std::string_view prefix_name, double channel_mts,
                                            std::string_view mts_source) {
  const nand::NandConfig d = nand::AifDefaultNandConfig();
  auto us = [](sim::SimTime x) { return x.ToSeconds() * 1e6; };
  const std::string prefix(prefix_name);
  return {
      {prefix + ".precharge_us", "us", us(d.timing.precharge), 1e-3, 1e4,
       "assumption: P + D = 19 us of AiF's 28 us be-enc LSB tR (nand_config.h)"},
      {prefix + ".sense_per_level_us", "us", us(d.timing.sense_per_level), 1e-3, 1e4,
       "AiF: tR CSB - LSB = 46 - 37 us (nand_config.h)"},
      {prefix + ".discharge_us", "us", us(d.timing.discharge), 1e-3, 1e4, "assumption, as precharge (nand_config.h)"},
      {prefix + ".recycle_us", "us", us(d.timing.recycle), 1e-3, 1e4,
       "AiF: cr-read LSB tR 9.7 us less one 9 us sense (nand_config.h)"},
      {prefix + ".channel_mts", "MT/s", channel_mts, 1, 100000, std::string(mts_source)},
  };
}

}  // namespace strata::systems
