// `strata reproduce --quick`: the invariants every version of the models must
// keep (orderings of systems, monotonic scaling with internal bandwidth, a
// ceiling above every finite point), not the published numbers.
#include "reproduce/reproduce.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace strata::coordinator {
namespace {

ReproduceOptions Quick() {
  ReproduceOptions o;
  o.quick = true;
  return o;
}

double Tps(const Report& r, const std::string& model, const std::string& system) {
  auto m = r.tokens_per_second.find(model);
  if (m == r.tokens_per_second.end() || !m->second.count(system)) return std::nan("");
  return m->second.at(system);
}

const Headline* Find(const Report& r, const std::string& prefix) {
  for (const auto& h : r.headlines) {
    if (h.claim.rfind(prefix, 0) == 0) return &h;
  }
  return nullptr;
}

void ExpectAifBeatsItsBaselines(const Report& R) {
  ASSERT_EQ(R.models.size(), 2u);
  for (const auto& m : R.models) {
    for (const auto& s : {"in-memory", "memory+ssd", "aif--", "aif"}) {
      EXPECT_FALSE(std::isnan(Tps(R, m, s))) << m << " on " << s << " did not run";
    }
    // cr-read and be-enc only make the flash faster.
    EXPECT_GT(Tps(R, m, "aif"), Tps(R, m, "aif--")) << m;
    // A page cache can only slow the same host down (the quick models fit
    // the 8 GB cache, so here it costs nothing after prefill).
    EXPECT_LE(Tps(R, m, "memory+ssd"), Tps(R, m, "in-memory") * (1 + 1e-9)) << m;
  }
}

void ExpectScalingRisesSubLinearlyUnderTheCeiling(const Report& R) {
  ASSERT_EQ(R.scaling.size(), R.models.size());
  for (const auto& [model, points] : R.scaling) {
    ASSERT_EQ(points.size(), 3u) << model;  // 1x, 2x, 4x
    double previous = 0, previous_scale = 0;
    for (const auto& [scale, tps] : points) {
      EXPECT_GT(tps, previous) << model << " at " << scale << "x";
      // Sub-linear: host and NVMe time do not shrink with the flash's.
      if (previous > 0) {
        EXPECT_LE(tps / previous, scale / previous_scale + 1e-9) << model << " at " << scale << "x";
      }
      EXPECT_LE(tps, R.ceiling.at(model)) << model << " at " << scale << "x";
      previous = tps;
      previous_scale = scale;
    }
  }
}

void ExpectFlashGainsFromThePhases(const Report& R) {
  const Headline* cr = Find(R, "cr-read");
  ASSERT_NE(cr, nullptr);
  // Per LSB page 28 us conventional against 9.7 us recycled: the block
  // read gains less than 28 / 9.7 = 2.89 because its first page pays full.
  EXPECT_GT(cr->ours, 2.5);
  EXPECT_LT(cr->ours, 28.0 / 9.7);
  const Headline* internal = Find(R, "internal flash bandwidth");
  ASSERT_NE(internal, nullptr);
  EXPECT_GT(internal->ours, 1.5);
  EXPECT_LT(internal->ours, 6.4 / 1.6384 + 0.01);  // the per-chip phase ratio bounds it
}

void ExpectFilesWritten(const Report& R) {
  const std::string dir = ::testing::TempDir() + "/reproduce_aif_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  bool plots = false;
  ASSERT_TRUE(WriteReport(R, dir, &plots).ok());
  for (const auto& t : R.tables) EXPECT_TRUE(std::filesystem::exists(dir + "/" + t.name + ".csv")) << t.name;
  EXPECT_TRUE(std::filesystem::exists(dir + "/aif.txt"));
  for (const auto& f : R.figures) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f.name + ".gp")) << f.name;
    if (plots) {
      EXPECT_GT(std::filesystem::file_size(dir + "/" + f.name + ".png"), 1000u) << f.name;
      EXPECT_GT(std::filesystem::file_size(dir + "/" + f.name + ".svg"), 1000u) << f.name;
    }
  }
  std::ifstream csv(dir + "/aif_models.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("model,in-memory,memory+ssd,aif--,aif,", 0), 0u) << header;
}

// One quick run, every check on it (each ctest process would rerun it).
TEST(ReproduceAifTest, QuickReportKeepsTheInvariantsAndWritesItsFiles) {
  auto r = ReproduceAif(Quick());
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectAifBeatsItsBaselines(*r);
  ExpectScalingRisesSubLinearlyUnderTheCeiling(*r);
  ExpectFlashGainsFromThePhases(*r);
  ExpectFilesWritten(*r);
}

TEST(ReproduceNvllmTest, NvllmBeatsTheOutOfCoreA800AndTheSsdLikeDesignOnEveryModel) {
  auto r = ReproduceNvllm(Quick());
  ASSERT_TRUE(r.ok()) << r.status();
  for (const auto& m : r->models) {
    ASSERT_FALSE(std::isnan(Tps(*r, m, "nvllm"))) << m;
    ASSERT_FALSE(std::isnan(Tps(*r, m, "a800"))) << m;
    ASSERT_FALSE(std::isnan(Tps(*r, m, "ssd-like"))) << m;
    EXPECT_GT(Tps(*r, m, "nvllm"), Tps(*r, m, "a800")) << m;
    // Same dies; the FFN weights cross the channels instead of staying put.
    EXPECT_GT(Tps(*r, m, "nvllm"), Tps(*r, m, "ssd-like")) << m;
  }
  const Headline* area = Find(*r, "CMOS area");
  ASSERT_NE(area, nullptr);
  EXPECT_EQ(area->published, 2.7);
  EXPECT_TRUE(std::isnan(area->ours));  // shown, not simulated
}

TEST(ReproduceTest, ScaleFieldScalesNumbersAndNamesBadPaths) {
  v1::JobSpec job;
  job.mutable_system()->mutable_aif()->mutable_timing()->set_sense_per_level_us(9);
  job.mutable_system()->mutable_aif()->set_chips_per_channel(3);
  ASSERT_TRUE(ScaleField(&job, "system.aif.timing.sense_per_level_us", 0.5).ok());
  EXPECT_EQ(job.system().aif().timing().sense_per_level_us(), 4.5);
  ASSERT_TRUE(ScaleField(&job, "system.aif.chips_per_channel", 0.1).ok());
  EXPECT_EQ(job.system().aif().chips_per_channel(), 1);  // rounded, at least 1
  const absl::Status bad = ScaleField(&job, "system.aif.no_such_field", 2);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("no_such_field"), std::string::npos) << bad;
  EXPECT_FALSE(ScaleField(&job, "name", 2).ok());  // a string
}

}  // namespace
}  // namespace strata::coordinator
