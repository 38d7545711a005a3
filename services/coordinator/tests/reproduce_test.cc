// `strata reproduce --quick`: the invariants every version of the models must
// keep (orderings of systems, monotonic scaling with internal bandwidth, a
// ceiling above every finite point), not the published numbers.
#include "reproduce/reproduce.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

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
    // Parallel host/SSD execution never loses to serial, for AiF and AiF--.
    EXPECT_GE(Tps(R, m, "aif-parallel"), Tps(R, m, "aif")) << m;
    EXPECT_GE(Tps(R, m, "aif--parallel"), Tps(R, m, "aif--")) << m;
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

// A table's cell read back as a number (the tables hold formatted text).
const Table* FindTable(const Report& r, const std::string& name) {
  for (const auto& t : r.tables) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

double Cell(const Table& t, const std::string& row_key, const std::string& column) {
  const auto col = std::find(t.columns.begin(), t.columns.end(), column);
  if (col == t.columns.end()) return std::nan("");
  for (const auto& row : t.rows) {
    if (row.front() == row_key) return std::strtod(row[col - t.columns.begin()].c_str(), nullptr);
  }
  return std::nan("");
}

// Two-key rows (model, system), as in the breakdown tables.
double Cell2(const Table& t, const std::string& model, const std::string& system, const std::string& column) {
  const auto col = std::find(t.columns.begin(), t.columns.end(), column);
  if (col == t.columns.end()) return std::nan("");
  for (const auto& row : t.rows) {
    if (row[0] == model && row[1] == system) return std::strtod(row[col - t.columns.begin()].c_str(), nullptr);
  }
  return std::nan("");
}

// The headline "<a> / <b> tokens/s" against the per-model table it is
// computed from: each model's ratio cell is the model's tokens/s cells
// divided (to the table's 4 and 3 significant digits), and the headline is
// the arithmetic mean of the per-model ratios (recomputed here from the
// report's unrounded tokens/s, and within rounding from the table's cells).
void ExpectRatioHeadlineMatchesTheModelsTable(const Report& R, const std::string& table, const std::string& a,
                                             const std::string& b, const std::string& claim, const char* reduce) {
  const Table* t = FindTable(R, table);
  ASSERT_NE(t, nullptr) << table;
  const Headline* h = Find(R, claim);
  ASSERT_NE(h, nullptr) << claim;
  const std::string ratio_column = a + " / " + b;
  std::vector<double> exact, from_cells;
  for (const auto& m : R.models) {
    const double x = Tps(R, m, a), y = Tps(R, m, b);
    ASSERT_FALSE(std::isnan(x) || std::isnan(y)) << m;
    exact.push_back(x / y);
    const double cell = Cell(*t, m, ratio_column);
    EXPECT_NEAR(cell, x / y, 5e-3 * x / y) << m << " " << ratio_column;  // 3 significant digits
    EXPECT_NEAR(Cell(*t, m, a) / Cell(*t, m, b), cell, 5e-3 * cell) << m << " " << ratio_column;
    from_cells.push_back(cell);
  }
  double want = 0, want_cells = 0;
  if (std::string(reduce) == "mean") {
    for (size_t i = 0; i < exact.size(); ++i) {
      want += exact[i] / static_cast<double>(exact.size());
      want_cells += from_cells[i] / static_cast<double>(exact.size());
    }
  } else if (std::string(reduce) == "min") {
    want = *std::min_element(exact.begin(), exact.end());
    want_cells = *std::min_element(from_cells.begin(), from_cells.end());
  } else {
    want = *std::max_element(exact.begin(), exact.end());
    want_cells = *std::max_element(from_cells.begin(), from_cells.end());
  }
  EXPECT_NEAR(h->ours, want, 1e-12 * want) << claim;
  EXPECT_NEAR(h->ours, want_cells, 5e-3 * want_cells) << claim;
}

void ExpectAifHeadlinesMatchTheirTables(const Report& R) {
  for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{
           {"aif", "memory+ssd"},
           {"aif", "in-memory"},
           {"aif", "aif--"},
           {"aif-parallel", "in-memory"},
           {"aif-parallel", "aif--parallel"}}) {
    ExpectRatioHeadlineMatchesTheModelsTable(R, "aif_models", a, b, a + " / " + b + " tokens/s", "mean");
  }
  // The internal bandwidth gain: the breakdown table's flash-array time per
  // token, AiF-- over AiF, averaged over the models.
  const Table* breakdown = FindTable(R, "aif_breakdown");
  ASSERT_NE(breakdown, nullptr);
  double gain = 0;
  for (const auto& m : R.models) {
    gain += Cell2(*breakdown, m, "aif--", "flash_array") / Cell2(*breakdown, m, "aif", "flash_array") /
            static_cast<double>(R.models.size());
  }
  const Headline* internal = Find(R, "internal flash bandwidth");
  ASSERT_NE(internal, nullptr);
  EXPECT_NEAR(internal->ours, gain, 1e-5 * gain);  // 6 significant digits in the table
  // Gains per doubling: the scaling table's 2x / 1x and 4x / 2x, lowest
  // and highest over the models.
  const Table* scaling = FindTable(R, "aif_scaling");
  ASSERT_NE(scaling, nullptr);
  std::vector<double> per_doubling;
  for (const auto& m : R.models) {
    per_doubling.push_back(Cell(*scaling, m, "2x") / Cell(*scaling, m, "1x"));
    per_doubling.push_back(Cell(*scaling, m, "4x") / Cell(*scaling, m, "2x"));
  }
  const Headline* lowest = Find(R, "tokens/s gain per doubling of chips (1->2->4x), lowest");
  const Headline* highest = Find(R, "tokens/s gain per doubling of chips (1->2->4x), highest");
  ASSERT_NE(lowest, nullptr);
  ASSERT_NE(highest, nullptr);
  const double lo = *std::min_element(per_doubling.begin(), per_doubling.end());
  const double hi = *std::max_element(per_doubling.begin(), per_doubling.end());
  EXPECT_NEAR(lowest->ours, lo, 1e-3 * lo);  // 4 significant digits in the table
  EXPECT_NEAR(highest->ours, hi, 1e-3 * hi);
  // The ceiling: a token less its flash-array and synchronisation time (the
  // host's wait on the flash), from the breakdown table's own columns.
  const Table* ceiling = FindTable(R, "aif_ceiling");
  ASSERT_NE(ceiling, nullptr);
  for (const auto& m : R.models) {
    double rest_us = 0;
    for (const char* part : {"ecc", "flash_bus", "pe_compute", "host_attention", "host_gemv", "host_other",
                             "pcie_nvme"}) {
      rest_us += Cell2(*breakdown, m, "aif", part);
    }
    EXPECT_NEAR(R.ceiling.at(m), 1e6 / rest_us, 1e-4 * R.ceiling.at(m)) << m;
    EXPECT_NEAR(Cell(*ceiling, m, "ceiling_tokens_per_s"), R.ceiling.at(m), 1e-3 * R.ceiling.at(m)) << m;
  }
  // The headline table shows the headlines themselves.
  const Table* headline = FindTable(R, "aif_headline");
  ASSERT_NE(headline, nullptr);
  for (const auto& h : R.headlines) {
    if (!std::isnan(h.ours)) {
      EXPECT_NEAR(Cell(*headline, h.claim, "ours"), h.ours, 1e-3 * h.ours) << h.claim;
    }
  }
}

void ExpectFilesWritten(const Report& R) {
  const std::string dir = ::testing::TempDir() + "/reproduce_aif_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  bool plots = false;
  const absl::Status written = WriteReport(R, dir, &plots);
  ASSERT_TRUE(written.ok()) << written;
  for (const auto& t : R.tables) EXPECT_TRUE(std::filesystem::exists(dir + "/" + t.name + ".csv")) << t.name;
  EXPECT_TRUE(std::filesystem::exists(dir + "/aif.txt"));
  for (const auto& f : R.figures) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f.name + ".gp")) << f.name;
    if (plots) {
      EXPECT_GT(std::filesystem::file_size(dir + "/" + f.name + ".png"), 1000u) << f.name;
      EXPECT_GT(std::filesystem::file_size(dir + "/" + f.name + ".svg"), 1000u) << f.name;
    }
  }
  // Memory+SSD's page cache per model: a hit rate in [0, 1] for each.
  const Table* cache = FindTable(R, "aif_page_cache");
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->rows.size(), R.models.size());
  for (const auto& m : R.models) {
    const double h = Cell(*cache, m, "hit_rate");
    EXPECT_GE(h, 0.0) << m;
    EXPECT_LE(h, 1.0) << m;
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
  ExpectAifHeadlinesMatchTheirTables(*r);
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
  // Every headline against the per-model table it is computed from.
  ExpectRatioHeadlineMatchesTheModelsTable(*r, "nvllm_models", "nvllm", "a800", "nvllm / a800 speedup, lowest", "min");
  ExpectRatioHeadlineMatchesTheModelsTable(*r, "nvllm_models", "nvllm", "a800", "nvllm / a800 speedup, highest",
                                           "max");
  ExpectRatioHeadlineMatchesTheModelsTable(*r, "nvllm_models", "nvllm", "ssd-like",
                                           "nvllm / ssd-like speedup, highest", "max");
  ExpectRatioHeadlineMatchesTheModelsTable(*r, "nvllm_models", "nvllm", "aif", "nvllm / aif speedup, mean", "mean");
  const Headline* area = Find(*r, "CMOS area");
  ASSERT_NE(area, nullptr);
  EXPECT_EQ(area->published, 2.7);
  EXPECT_TRUE(std::isnan(area->ours));  // shown, not simulated
  // The energy table: a row per model and system, the parts adding up to
  // the total; NVLLM, which moves no weight off the dies, spends less per
  // token than the A800 streaming them over PCIe.
  const Table* energy = nullptr;
  const Table* sensitivity = nullptr;
  for (const auto& t : r->tables) {
    if (t.name == "nvllm_energy") energy = &t;
    if (t.name == "nvllm_energy_sensitivity") sensitivity = &t;
  }
  ASSERT_NE(energy, nullptr);
  ASSERT_NE(sensitivity, nullptr);
  EXPECT_EQ(energy->rows.size(), r->models.size() * r->systems.size());
  std::map<std::string, double> joules;  // "model system"
  for (const auto& row : energy->rows) {
    double parts = 0;
    for (size_t c = 4; c < 4 + 9; ++c) parts += std::stod(row[c]);
    const double total = std::stod(row[2]);
    EXPECT_NEAR(parts, total, 1e-5 * total) << row[0] << " " << row[1];
    joules[row[0] + " " + row[1]] = total;
  }
  for (const auto& m : r->models) EXPECT_LT(joules[m + " nvllm"], joules[m + " a800"]) << m;
  // NVLLM's energy claim: Cambricon-LLM / NVLLM data-movement energy, the
  // mean over models of the energy table's data_movement_j.
  std::map<std::string, double> moved;
  for (const auto& row : energy->rows) moved[row[0] + " " + row[1]] = std::stod(row[3]);
  double ratio_sum = 0;
  for (const auto& m : r->models) ratio_sum += moved[m + " cambricon-llm"] / moved[m + " nvllm"];
  const Headline* moved_ratio = Find(*r, "cambricon-llm / nvllm data-movement energy");
  ASSERT_NE(moved_ratio, nullptr);
  EXPECT_EQ(moved_ratio->published, 5.63);
  EXPECT_NEAR(moved_ratio->ours, ratio_sum / r->models.size(), 1e-3 * moved_ratio->ours);
  EXPECT_EQ(sensitivity->rows.size(), 3u * 9u);  // a800, ssd-like, aif x every part
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
