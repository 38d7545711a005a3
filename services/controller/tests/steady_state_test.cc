// Random writes to steady state (SNIA SSS PTS v2.0.2's rule) through the FTL.
#include <cstdio>
#include <vector>

#include "ftl/ftl_mapping.h"
#include "ftl/page_ftl.h"
#include "ftl/wa_model.h"
#include "gtest/gtest.h"
#include "strata/sim/random.h"

namespace strata::controller {
namespace {

TEST(SteadyStateTest, RuleNeedsAFullFlatWindow) {
  const SteadyStateRule rule;  // 5 rounds, 20% excursion, 10% slope
  EXPECT_FALSE(IsSteadyState({5, 5, 5, 5}, rule));            // fewer rounds than the window
  EXPECT_TRUE(IsSteadyState({1, 9, 5, 5, 5, 5, 5}, rule));     // only the last 5 count
  EXPECT_TRUE(IsSteadyState({5, 5.4, 4.8, 5.2, 5.0}, rule));   // excursion 0.6 / 5.08 = 12%
  EXPECT_FALSE(IsSteadyState({4.4, 5.6, 5, 5, 5}, rule));      // excursion 24%
  // Excursion 16% but a steady climb: the fit moves 0.2 x 4 = 0.8, 16% of 5.
  EXPECT_FALSE(IsSteadyState({4.6, 4.8, 5.0, 5.2, 5.4}, rule));
}

// 2 planes x 1024 blocks x 96 pages at 7% over-provisioning, filled once in
// order (where WA starts at 1): the rounds (a quarter of the logical pages
// each) stop once WA is flat, and the last round's WA is the greedy model's
// steady state (ftl/wa_model.h; the spare factor as in
// gc_write_amplification_test.cc: threshold + 1 blocks per plane hold no
// data), not the 1.0 of a freshly filled drive.
TEST(SteadyStateTest, RandomRoundsStopAtTheGreedyModelsSteadyState) {
  FtlConfig c;
  c.planes = 2;
  c.blocks_per_plane = 1024;
  c.pages_per_block = 96;
  c.over_provisioning = 0.07;
  absl::StatusOr<PageFtl> ftl = PageFtl::Create(c);
  ASSERT_TRUE(ftl.ok()) << ftl.status();
  const uint64_t lpns = ftl->geometry().logical_pages();
  ASSERT_TRUE(FillSequential(*ftl, 0, lpns).ok());
  sim::RandomStream random(1, 1);
  SteadyStateRule rule;
  rule.round_writes = lpns / 4;
  absl::StatusOr<SteadyStateReport> r = RandomWritesToSteadyState(*ftl, random, 0, lpns, rule);
  ASSERT_TRUE(r.ok()) << r.status();
  const double data_blocks = static_cast<double>(c.planes) * (c.blocks_per_plane - c.gc_free_block_threshold - 1);
  const double model = GreedyUniformWa(1.0 - static_cast<double>(lpns) / (data_blocks * c.pages_per_block),
                                       c.pages_per_block);
  std::printf("steady after %u rounds of %llu writes: WA %.3f, greedy model %.3f\n", r->rounds,
              static_cast<unsigned long long>(rule.round_writes), r->write_amplification, model);
  EXPECT_TRUE(r->steady);
  EXPECT_GE(r->rounds, rule.window);
  EXPECT_LT(r->rounds, rule.max_rounds);
  EXPECT_NEAR(r->write_amplification / model, 1.0, 0.10);
  EXPECT_TRUE(ftl->CheckInvariants().ok());
}

TEST(SteadyStateTest, ARoundCapBelowTheWindowStopsUnsteady) {
  FtlConfig c;
  c.planes = 2;
  c.blocks_per_plane = 64;
  c.pages_per_block = 96;
  c.over_provisioning = 0.1;
  absl::StatusOr<PageFtl> ftl = PageFtl::Create(c);
  ASSERT_TRUE(ftl.ok()) << ftl.status();
  sim::RandomStream random(1, 1);
  SteadyStateRule rule;
  rule.round_writes = 100;
  rule.max_rounds = 3;
  absl::StatusOr<SteadyStateReport> r = RandomWritesToSteadyState(*ftl, random, 0, 1000, rule);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->rounds, 3u);
  EXPECT_FALSE(r->steady);
  EXPECT_EQ(ftl->stats().host_writes, 300u);
  rule.round_writes = 0;
  EXPECT_EQ(RandomWritesToSteadyState(*ftl, random, 0, 1000, rule).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::controller
