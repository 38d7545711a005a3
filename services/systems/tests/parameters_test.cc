// Parameters declared on the models: every field of every system's spec is
// declared, every declaration names a real field, and the declarations
// drive the defaults, the range errors and `strata describe`.
#include <algorithm>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/systems/core/parameters.h"
#include "services/systems/job/build_job.h"
#include "services/systems/job/describe.h"
#include "services/systems/job/job_spec.h"
#include "services/systems/job/system_registry.h"
#include "strata/sim/engine.h"

namespace strata::systems {
namespace {

using ::testing::HasSubstr;

const google::protobuf::Descriptor* MessageOf(const SystemBuilder& system) {
  return v1::SystemSpec::descriptor()->FindFieldByNumber(system.kind())->message_type();
}

TEST(ParametersTest, EveryFieldOfEverySystemSpecIsDeclared) {
  ASSERT_EQ(Systems().size(), 7u);
  for (const auto& system : Systems()) {
    std::set<std::string> declared;
    for (const Parameter& p : system->parameters()) {
      EXPECT_TRUE(declared.insert(p.field).second) << system->name() << ": " << p.field << " declared twice";
      EXPECT_FALSE(p.source.empty()) << system->name() << ": " << p.field << " has no source";
    }
    for (const std::string& field : LeafFields(MessageOf(*system))) {
      EXPECT_TRUE(declared.count(field)) << "system." << system->name() << "." << field << " is not declared";
    }
    const std::vector<std::string> leaves = LeafFields(MessageOf(*system));
    for (const std::string& field : declared) {
      EXPECT_NE(std::find(leaves.begin(), leaves.end(), field), leaves.end())
          << system->name() << " declares " << field << ", which its message does not have";
    }
  }
}

TEST(ParametersTest, EverySpecSelectsARegisteredSystem) {
  const google::protobuf::OneofDescriptor* kind = v1::SystemSpec::descriptor()->FindOneofByName("kind");
  ASSERT_NE(kind, nullptr);
  for (int i = 0; i < kind->field_count(); ++i) {
    const auto k = static_cast<v1::SystemSpec::KindCase>(kind->field(i)->number());
    ASSERT_NE(FindSystem(k), nullptr) << kind->field(i)->name();
    EXPECT_EQ(FindSystem(k)->name(), kind->field(i)->name());
  }
}

v1::JobSpec Nvllm(const std::string& system_fields) {
  auto spec = ParseJobSpecText(
      "model { catalog_name: \"llama-2-7b\" } workload { decode_tokens: 2 } system { nvllm { " + system_fields + " } }");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

TEST(ParametersTest, DefaultsAndRangeErrorsComeFromTheDeclaration) {
  auto normalized = NormalizeJobSpec(Nvllm(""));
  ASSERT_TRUE(normalized.ok()) << normalized.status();
  for (const Parameter& p : FindSystem("nvllm")->parameters()) {
    if (!p.checked_here()) continue;
    v1::JobSpec spec = *normalized;
    // The declared default landed in the field.
    auto* nvllm = spec.mutable_system()->mutable_nvllm();
    google::protobuf::Message* holder = nvllm;
    std::string leaf = p.field;
    for (size_t dot; (dot = leaf.find('.')) != std::string::npos; leaf = leaf.substr(dot + 1)) {
      holder = holder->GetReflection()->MutableMessage(holder, holder->GetDescriptor()->FindFieldByName(leaf.substr(0, dot)));
    }
    const auto* f = holder->GetDescriptor()->FindFieldByName(leaf);
    const double value = f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE
                             ? holder->GetReflection()->GetDouble(*holder, f)
                             : holder->GetReflection()->GetInt32(*holder, f);
    EXPECT_DOUBLE_EQ(value, f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE
                                ? p.default_value
                                : static_cast<int32_t>(p.default_value))
        << p.field;
    // Above the declared maximum: the error names the field and the declared range.
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE) {
      holder->GetReflection()->SetDouble(holder, f, p.max * 2);
    } else {
      holder->GetReflection()->SetInt32(holder, f, static_cast<int32_t>(p.max) + 1);
    }
    auto bad = NormalizeJobSpec(spec);
    ASSERT_FALSE(bad.ok()) << p.field;
    EXPECT_THAT(bad.status().message(), HasSubstr("system.nvllm." + p.field + " = "));
    EXPECT_THAT(bad.status().message(), HasSubstr("; allowed: " + p.AllowedText()));
  }
}

TEST(ParametersTest, DescribeListsEveryNvllmParameter) {
  auto text = DescribeSystems("nvllm", "text");
  ASSERT_TRUE(text.ok()) << text.status();
  for (const std::string& field : LeafFields(v1::NvllmSystem::descriptor())) {
    EXPECT_THAT(*text, HasSubstr("system.nvllm." + field + "\n"));
  }
  auto json = DescribeSystems("nvllm", "json");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr("\"field\": \"system.nvllm.flash.timing.sense_per_level_us\""));
  EXPECT_THAT(DescribeSystems("nvlm", "text").status().message(), HasSubstr("system = 'nvlm'; allowed: nvllm, aif"));
  EXPECT_THAT(DescribeSystems("nvllm", "yaml").status().message(), HasSubstr("allowed: text, json"));
}

// Each system names the breakdown parts its time per token can fill: a small
// job on every system fills no other part.
TEST(BreakdownPartsTest, EverySystemFillsOnlyThePartsItNames) {
  for (const auto& system : Systems()) {
    auto spec = ParseJobSpecText(absl::StrCat(
        "model { catalog_name: \"llama-2-7b\" } workload { prompt_tokens: 8 decode_tokens: 2 } system { ",
        std::string(system->name()), " {} }"));
    ASSERT_TRUE(spec.ok()) << spec.status();
    auto normalized = NormalizeJobSpec(*spec);
    ASSERT_TRUE(normalized.ok()) << system->name() << ": " << normalized.status();
    auto job = BuildJob(*normalized);
    ASSERT_TRUE(job.ok()) << system->name() << ": " << job.status();
    sim::RunOptions options;
    options.seed = 1;
    auto run = sim::Run(*job->sim, options);
    ASSERT_TRUE(run.ok()) << run.status();
    const v1::JobFigures figures = ExtractFigures(*job, [](sim::ComponentId) { return true; });
    const std::vector<host::Category> parts = system->breakdown_parts();
    int filled = 0;
    for (int i = 0; i < figures.decode_breakdown_ps_size(); ++i) {
      if (figures.decode_breakdown_ps(i) == 0) continue;
      ++filled;
      const auto category = static_cast<host::Category>(i);
      EXPECT_NE(std::find(parts.begin(), parts.end(), category), parts.end())
          << system->name() << " fills " << host::CategoryName(category) << ", which it does not name";
    }
    EXPECT_GT(filled, 0) << system->name();
  }
}

}  // namespace
}  // namespace strata::systems
