#include "sweep/sweep.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "google/protobuf/text_format.h"

namespace strata::coordinator {
namespace {

using ::testing::HasSubstr;

v1::SweepSpec Sweep(const std::string& text) {
  v1::SweepSpec s;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &s));
  return s;
}

TEST(SweepTest, ExpandsTheCrossProductFirstAxisSlowest) {
  auto points = ExpandSweep(Sweep(R"pb(
    name: "grid"
    base { model { catalog_name: "llama-7b" } system { gpu_out_of_core {} } }
    axes { field: "model.catalog_name" values: "opt-30b" values: "llama-2-70b" }
    axes { field: "system.gpu_out_of_core.weight_budget_gib" values: "8" values: "16" values: "32" }
    axes { field: "model.weight_type" values: "INT4" values: "INT8" }
  )pb"));
  ASSERT_TRUE(points.ok()) << points.status();
  ASSERT_EQ(points->size(), 2u * 3u * 2u);
  EXPECT_EQ((*points)[0].job.model().catalog_name(), "opt-30b");
  EXPECT_EQ((*points)[0].job.model().weight_type(), v1::INT4);
  EXPECT_EQ((*points)[1].job.model().weight_type(), v1::INT8);
  EXPECT_EQ((*points)[2].job.system().gpu_out_of_core().weight_budget_gib(), 16);
  EXPECT_EQ((*points)[11].job.model().catalog_name(), "llama-2-70b");
  EXPECT_EQ((*points)[11].job.system().gpu_out_of_core().weight_budget_gib(), 32);
  EXPECT_EQ((*points)[11].job.name(), "grid/11");
  EXPECT_EQ((*points)[11].coordinates[1], std::make_pair(std::string("system.gpu_out_of_core.weight_budget_gib"),
                                                         std::string("32")));
}

TEST(SweepTest, AnAxisCanSelectASystem) {
  // Setting a field inside a oneof branch selects that branch.
  auto points = ExpandSweep(Sweep(R"pb(
    base { model { catalog_name: "llama-7b" } system { gpu_out_of_core {} } }
    axes { field: "system.in_memory.dram.bandwidth_gbps" values: "51.2" }
  )pb"));
  ASSERT_TRUE(points.ok());
  EXPECT_TRUE((*points)[0].job.system().has_in_memory());
  EXPECT_EQ((*points)[0].job.system().in_memory().dram().bandwidth_gbps(), 51.2);
}

TEST(SweepTest, BadAxesNameThePathAndTheProblem) {
  const struct {
    const char* axis;
    const char* message;
  } cases[] = {
      {R"pb(field: "workload.tokens" values: "3")pb", "sweep axis 'workload.tokens': WorkloadSpec has no field 'tokens'"},
      {R"pb(field: "workload.decode_tokens" values: "many")pb", "value 'many' is not an integer"},
      {R"pb(field: "model.weight_type" values: "INT3")pb", "is not one of WEIGHT_TYPE_UNSPECIFIED, INT4, INT8, FP16"},
      {R"pb(field: "workload" values: "1")pb", "names a message"},
      {R"pb(field: "workload.batch_size")pb", "axes[0] ('workload.batch_size') has no values"},
  };
  for (const auto& c : cases) {
    auto points = ExpandSweep(Sweep(absl::StrCat("axes {", c.axis, "}")));
    ASSERT_FALSE(points.ok()) << c.axis;
    EXPECT_THAT(points.status().message(), HasSubstr(c.message)) << c.axis;
  }
}

TEST(SweepTest, HugeGridsAreRefused) {
  v1::SweepSpec s;
  for (int a = 0; a < 3; ++a) {
    auto* axis = s.add_axes();
    axis->set_field("workload.decode_tokens");
    for (int v = 1; v <= 100; ++v) axis->add_values(std::to_string(v));
  }
  auto points = ExpandSweep(s, 100000);
  ASSERT_FALSE(points.ok());
  EXPECT_THAT(points.status().message(), HasSubstr("allowed: at most 100000"));
}

}  // namespace
}  // namespace strata::coordinator
