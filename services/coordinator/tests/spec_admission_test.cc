// Spec admission: every enum, float, string and repeated field of JobSpec
// is checked generically (protobuf reflection), so these tests walk the
// descriptor too: a field added later is covered, and tested, at once.
#include "services/systems/job/spec_admission.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "services/coordinator/job/job_runner.h"

namespace strata::coordinator {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using ::testing::HasSubstr;

v1::JobSpec ValidSpec() {
  auto spec = ParseJobSpecText(R"pb(name: "ok" model { catalog_name: "llama-2-7b" }
                                    workload { decode_tokens: 4 } system { in_memory {} })pb");
  EXPECT_TRUE(spec.ok());
  return *spec;
}

// Calls `visit(spec, message-to-set-on, field, path)` for every singular
// scalar field of `type` reachable in JobSpec (messages made on the way).
void ForEachField(FieldDescriptor::CppType type,
                  const std::function<void(v1::JobSpec&, Message*, const FieldDescriptor*, const std::string&)>& visit) {
  std::function<void(const std::vector<const FieldDescriptor*>&)> walk =
      [&](const std::vector<const FieldDescriptor*>& chain) {
        const Descriptor* d = chain.empty() ? v1::JobSpec::descriptor() : chain.back()->message_type();
        for (int i = 0; i < d->field_count(); ++i) {
          const FieldDescriptor* f = d->field(i);
          if (f->is_repeated()) continue;
          std::vector<const FieldDescriptor*> next = chain;
          next.push_back(f);
          if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
            if (next.size() < 6) walk(next);
            continue;
          }
          if (f->cpp_type() != type) continue;
          v1::JobSpec spec = ValidSpec();
          Message* m = &spec;
          std::string path;
          for (const FieldDescriptor* step : next) {
            path += (path.empty() ? "" : ".") + step->name();
            if (step != f) m = m->GetReflection()->MutableMessage(m, step);
          }
          visit(spec, m, f, path);
        }
      };
  walk({});
}

TEST(SpecAdmissionTest, EveryEnumFieldRefusesAnUnnamedNumberNamingItsPath) {
  int fields = 0;
  ForEachField(FieldDescriptor::CPPTYPE_ENUM, [&](v1::JobSpec& spec, Message* m, const FieldDescriptor* f,
                                                  const std::string& path) {
    m->GetReflection()->SetEnumValue(m, f, 977);
    const absl::Status s = NormalizeJobSpec(spec).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(s.message(), HasSubstr(path + " = 977; allowed: one of ")) << s;
    ++fields;
  });
  EXPECT_GE(fields, 5);  // model.weight_type, ssd_io.pattern, aif.execution, custom.ffn_kind, nvllm.kv_scheduling, ...
}

TEST(SpecAdmissionTest, EveryFloatingFieldRefusesNanAndInfinityNamingItsPath) {
  int fields = 0;
  for (double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
    ForEachField(FieldDescriptor::CPPTYPE_DOUBLE, [&](v1::JobSpec& spec, Message* m, const FieldDescriptor* f,
                                                      const std::string& path) {
      m->GetReflection()->SetDouble(m, f, bad);
      const absl::Status s = NormalizeJobSpec(spec).status();
      EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << path;
      EXPECT_THAT(s.message(), HasSubstr(path + " = ")) << s;
      EXPECT_THAT(s.message(), HasSubstr("allowed: a finite number")) << s;
      ++fields;
    });
  }
  EXPECT_GE(fields, 3 * 20);
}

TEST(SpecAdmissionTest, EveryStringFieldRefusesInvalidUtf8AndHugeValuesWithAShortMessage) {
  int fields = 0;
  ForEachField(FieldDescriptor::CPPTYPE_STRING, [&](v1::JobSpec& spec, Message* m, const FieldDescriptor* f,
                                                    const std::string& path) {
    v1::JobSpec huge = spec;
    m->GetReflection()->SetString(m, f, "caf\xc3 \xff");
    absl::Status s = NormalizeJobSpec(spec).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(s.message(), HasSubstr(path + " = 'caf\\xc3 \\xff' is not valid UTF-8")) << s;
    // The same path in a copy: a 1 MiB value.
    Message* h = &huge;
    for (const std::string& step : std::vector<std::string>(absl::StrSplit(path, '.'))) {
      const FieldDescriptor* sf = h->GetDescriptor()->FindFieldByName(step);
      if (sf->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) h = h->GetReflection()->MutableMessage(h, sf);
      else h->GetReflection()->SetString(h, sf, std::string(1 << 20, 'x'));
    }
    s = NormalizeJobSpec(huge).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(s.message(), HasSubstr(path + " has 1048576 bytes")) << s;
    EXPECT_LT(s.message().size(), 400u);  // well inside gRPC's 8 KiB metadata limit
    ++fields;
  });
  EXPECT_GE(fields, 2);  // name, model.catalog_name, model.custom.name
}

TEST(SpecAdmissionTest, AValidSpecPassesAndNestedPathsAreFull) {
  EXPECT_TRUE(systems::CheckSpecAdmission(ValidSpec()).ok());
  v1::JobSpec spec = ValidSpec();
  spec.mutable_system()->mutable_gpu_out_of_core()->set_ssd_read_gbps(std::nan(""));
  EXPECT_EQ(systems::CheckSpecAdmission(spec).message(),
            "system.gpu_out_of_core.ssd_read_gbps = nan; allowed: a finite number");
}

TEST(SpecAdmissionTest, TruncateForMessageCutsAtACharacterAndEscapesInvalidUtf8) {
  EXPECT_EQ(systems::TruncateForMessage("short"), "short");
  const std::string cut = systems::TruncateForMessage(std::string(63, 'a') + "\xc3\xa9" + std::string(100, 'b'));
  EXPECT_EQ(cut, std::string(63, 'a') + "... (165 bytes)");  // not half of the é
  EXPECT_EQ(systems::TruncateForMessage("\xff"), "\\xff");
}

TEST(SpecAdmissionTest, Int4OnNvllmIsRefusedUpFront) {
  auto spec = ParseJobSpecText(R"pb(model { catalog_name: "llama-2-7b" weight_type: INT4 } system { nvllm {} })pb");
  ASSERT_TRUE(spec.ok());
  const absl::Status s = NormalizeJobSpec(*spec).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("model.weight_type = INT4"));
}

TEST(SpecAdmissionTest, ACustomShapeWhoseParameterCountOverflowsIsRefused) {
  auto spec = ParseJobSpecText(R"pb(
    model { custom { name: "huge" layers: 1000 hidden: 1048576 ffn: 4194304 heads: 1 experts: 1024 vocab: 1000 } }
    system { in_memory { dram { capacity_gib: 1 } } })pb");
  ASSERT_TRUE(spec.ok());
  const absl::Status s = NormalizeJobSpec(*spec).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(s.message(), HasSubstr("model.custom: model 'huge': about 1.35e+19 parameters")) << s;
}

}  // namespace
}  // namespace strata::coordinator
