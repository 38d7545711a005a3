// Energy accounting (issue 20): the coefficient table, the parts adding up
// on every system, cr-read's saving being exactly the precharge share, idle
// time costing static power only, and PAGE and STREAM agreeing on energy.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/coordinator/tests/job_test_util.h"
#include "services/systems/core/energy_model.h"
#include "services/systems/job/system_registry.h"

namespace strata::coordinator {
namespace {

using systems::ActivityCount;
using systems::EnergyPart;
using testing::Spec;

double PartsSum(const v1::EnergyParts& p) {
  return p.flash_array() + p.ecc() + p.flash_bus() + p.pe_compute() + p.host_compute() + p.dram() + p.pcie_nvme() +
         p.static_power() + p.flash_program();
}

double Coefficient(std::string_view activity) {
  const systems::EnergyCoefficient* c = systems::FindEnergyCoefficient(activity);
  EXPECT_NE(c, nullptr) << activity;
  return c == nullptr ? 0 : c->value;
}

TEST(EnergyModelTest, EveryCoefficientIsPositiveOrZeroAndNamesWhatItCountsAndItsSource) {
  std::vector<std::string_view> seen;
  for (const systems::EnergyCoefficient& c : systems::EnergyCoefficients()) {
    EXPECT_GE(c.value, 0) << c.activity;
    EXPECT_FALSE(c.counts.empty()) << c.activity;
    EXPECT_GT(c.source.size(), 10u) << c.activity;
    for (std::string_view s : seen) EXPECT_NE(s, c.activity) << "declared twice";
    seen.push_back(c.activity);
  }
}

TEST(EnergyModelTest, AnActivityWithoutACoefficientIsAnErrorNamingIt) {
  auto j = systems::JoulesByPart({{"warp_drive_bits", 1}}, {}, 1.0);
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("warp_drive_bits"), std::string_view::npos);
}

// The phase arithmetic: a conventional read is precharge + sense (the
// discharge returns the precharge's charge), a cr-read is sense alone. Per
// page, cr-read saves the precharge's energy and nothing else: the ratio is
// AiF's 5.098 / 18.278 pJ/bit.
TEST(EnergyModelTest, CrReadLowersArrayReadEnergyPerPageByThePrechargeShareAndNoMore) {
  const double page_bits = 16384 * 8, pages = 1000, cr_pages = 1000;
  auto conventional = systems::JoulesByPart(
      {{"nand_read_precharge_bits", pages * page_bits}, {"nand_read_sense_bits", pages * page_bits}}, {}, 0);
  auto cr = systems::JoulesByPart(
      {{"nand_read_precharge_bits", (pages - cr_pages) * page_bits}, {"nand_read_sense_bits", pages * page_bits}}, {},
      0);
  ASSERT_TRUE(conventional.ok() && cr.ok());
  const size_t array = static_cast<size_t>(EnergyPart::kFlashArray);
  const double saved_per_page = ((*conventional)[array] - (*cr)[array]) / pages;
  EXPECT_NEAR(saved_per_page, Coefficient("nand_read_precharge_bits") * 1e-12 * page_bits, 1e-18);
  EXPECT_NEAR((*cr)[array] / (*conventional)[array], 5.098 / 18.278, 1e-12);
}

TEST(EnergyModelTest, AnIdleIntervalCostsStaticEnergyOnly) {
  const std::vector<ActivityCount> activity = {{"nand_read_sense_bits", 1e9}, {"desktop_cpu_busy_ps", 1e12}};
  const std::vector<ActivityCount> loads = {{"desktop_cpu_static", 1}, {"ddr5_static", 8}, {"nand_die_static", 16}};
  auto busy = systems::JoulesByPart(activity, loads, 2.0);
  auto longer = systems::JoulesByPart(activity, loads, 2.0 + 0.5);  // the same work, then 0.5 s idle
  ASSERT_TRUE(busy.ok() && longer.ok());
  for (size_t p = 0; p < busy->size(); ++p) {
    if (p == static_cast<size_t>(EnergyPart::kStatic)) {
      const double watts = Coefficient("desktop_cpu_static") + 8 * Coefficient("ddr5_static") +
                           16 * Coefficient("nand_die_static");
      EXPECT_NEAR((*longer)[p] - (*busy)[p], 0.5 * watts, 1e-9);
    } else {
      EXPECT_EQ((*longer)[p], (*busy)[p]) << systems::EnergyPartName(static_cast<EnergyPart>(p));
    }
  }
}

// A small model every system holds; two decode tokens.
v1::JobSpec TinyJob(const std::string& system) {
  return Spec(absl::StrCat(R"pb(model { custom { name: "tiny" layers: 2 hidden: 1024 ffn: 2816 heads: 8 vocab: 4096 } }
                                workload { prompt_tokens: 8 decode_tokens: 2 }
                                system { )pb",
                           system, " {} }"));
}

TEST(EnergyTest, PartsAddUpToTheTotalOnEverySystemAndTheSystemsPartsAreTheirs) {
  int systems_run = 0;
  for (const auto& system : systems::Systems()) {
    const std::string name(system->name());
    auto r = RunJob(TinyJob(name));
    ASSERT_TRUE(r.ok()) << name << ": " << r.status();
    const v1::EnergyBreakdown& e = r->energy();
    EXPECT_GT(e.joules_per_token(), 0) << name;
    EXPECT_NEAR(PartsSum(e.per_token()), e.joules_per_token(), 1e-9 * e.joules_per_token()) << name;
    EXPECT_NEAR(e.joules_per_token() * 2, e.joules(), 1e-9 * e.joules()) << name;  // 2 tokens, batch 1
    EXPECT_NEAR(e.average_watts(), e.joules() / r->simulated_seconds(), 1e-9 * e.average_watts()) << name;
    EXPECT_NEAR(e.energy_delay_joule_seconds(), e.joules_per_token() / r->tokens_per_second(),
                1e-9 * e.energy_delay_joule_seconds())
        << name;
    EXPECT_GT(e.per_token().static_power(), 0) << name;
    EXPECT_GT(e.per_token().dram(), 0) << name;  // every system has a memory
    const bool flash = name != "in_memory" && name != "gpu_out_of_core";
    EXPECT_EQ(e.per_token().flash_array() > 0, flash) << name;
    EXPECT_EQ(e.per_token().flash_program() > 0, name == "aif") << name;  // aif_post programs the weights
    // Cambricon-LLM's dies return their results over the channels (§IV-A).
    EXPECT_EQ(e.per_token().flash_bus() > 0,
              name == "ssd_offload" || name == "ssd_isc" || name == "aif" || name == "cambricon_llm")
        << name;
    std::printf("%-16s %.4g J/token (data movement %.4g), %.4g W\n", name.c_str(), e.joules_per_token(),
                e.data_movement_joules_per_token(), e.average_watts());
    ++systems_run;
  }
  EXPECT_GE(systems_run, 6);
}

TEST(EnergyTest, AifReadsCostLessArrayEnergyThanAifMinusMinusByAtMostThePrechargeShare) {
  auto aif = RunJob(TinyJob("aif"));
  v1::JobSpec minus = TinyJob("aif");
  minus.mutable_system()->mutable_aif()->set_without_cr_read_and_be_enc(true);
  auto baseline = RunJob(minus);
  ASSERT_TRUE(aif.ok() && baseline.ok());
  // Both read every weight page once a token (and place them the same way
  // first); AiF reads cr-read chains, so its array energy is lower, but not
  // below the all-cr-read bound of 5.098 / 18.278.
  const double a = aif->energy().per_token().flash_array(), b = baseline->energy().per_token().flash_array();
  EXPECT_LT(a, b);
  EXPECT_GE(a / b, 5.098 / 18.278 - 1e-9);
}

TEST(EnergyTest, PageAndStreamFidelitiesAgreeWithinTwoPercentOnEnergy) {
  for (const std::string system : {"nvllm", "aif", "ssd_isc"}) {
    v1::JobSpec spec = TinyJob(system);
    spec.mutable_simulation()->set_fidelity(v1::PAGE);
    auto page = RunJob(spec);
    spec.mutable_simulation()->set_fidelity(v1::STREAM);
    auto stream = RunJob(spec);
    ASSERT_TRUE(page.ok() && stream.ok()) << system;
    EXPECT_NEAR(stream->energy().joules_per_token() / page->energy().joules_per_token(), 1.0, 0.02) << system;
    EXPECT_NEAR(stream->energy().per_token().flash_array() / page->energy().per_token().flash_array(), 1.0, 0.02)
        << system;
  }
}

}  // namespace
}  // namespace strata::coordinator
