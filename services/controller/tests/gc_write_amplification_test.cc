// Steady-state write amplification of the FTL against analytical models.
#include <cstdio>

#include "ftl/page_ftl.h"
#include "ftl/wa_model.h"
#include "ftl_test_util.h"
#include "gtest/gtest.h"
#include "strata/sim/random.h"

namespace strata::controller {
namespace {

// 2 planes x 1024 blocks x 96 pages (32 TLC wordlines): 196,608 pages.
FtlConfig WaConfig(double op, GcPolicy policy) {
  FtlConfig c;
  c.planes = 2;
  c.blocks_per_plane = 1024;
  c.pages_per_block = 96;
  c.over_provisioning = op;
  c.gc_policy = policy;
  return c;
}

// Spare factor of the pages that can hold settled data. Per plane, between
// host writes, gc_free_block_threshold blocks sit in the free pool (GC stops
// as soon as the plane is back at the threshold), and the open host and GC
// blocks are on average half empty: (threshold + 1) blocks hold no data.
double EffectiveSpareFactor(const FtlConfig& c, uint64_t logical_pages, uint64_t extra_pinned_blocks = 0) {
  const double data_blocks = static_cast<double>(c.planes) * (c.blocks_per_plane - c.gc_free_block_threshold - 1) -
                             static_cast<double>(extra_pinned_blocks);
  return 1.0 - static_cast<double>(logical_pages) / (data_blocks * c.pages_per_block);
}

// Fill every logical page once, warm up with `warm` drive-writes of uniform
// random writes, then measure WA over `measure` drive-writes.
double SteadyStateUniformWa(PageFtl& ftl, uint64_t seed, double warm, double measure) {
  const uint64_t lpns = ftl.geometry().logical_pages();
  sim::RandomStream rng(seed, 1);
  EXPECT_TRUE(FillSequential(ftl, 0, lpns).ok());
  EXPECT_TRUE(UniformWrites(ftl, rng, 0, lpns, static_cast<uint64_t>(warm * lpns)).ok());
  const FtlStats before = ftl.stats();
  EXPECT_TRUE(UniformWrites(ftl, rng, 0, lpns, static_cast<uint64_t>(measure * lpns)).ok());
  return WriteAmplificationBetween(before, ftl.stats());
}

// Greedy GC, uniform random single-page writes over the whole logical space.
// Model: the greedy large-system flow balance (Bux & Iliadis, Perform. Eval.
// 2010; GreedyUniformWa in ftl/wa_model.h), with spare factor
// S_f = (T - U) / T, which is how FtlConfig.over_provisioning is defined
// (logical = physical x (1 - op)). Its b -> infinity limit is Desnoyers's
// (SYSTOR 2012) WA = 1 / (1 - x), x = exp(-(1 - x) / (1 - S_f)); with b = 96
// greedy sits a few per cent below that limit (both printed). The often
// quoted (1 + rho) / (2 rho), rho = (T - U) / U, is a coarser approximation;
// it is printed for comparison, not asserted.
TEST(GcWriteAmplificationTest, GreedyUniformMatchesAnalyticalModelAtTwoOverProvisioningLevels) {
  for (double op : {0.07, 0.28}) {
    const FtlConfig c = WaConfig(op, GcPolicy::kGreedy);
    absl::StatusOr<PageFtl> ftl = PageFtl::Create(c);
    ASSERT_TRUE(ftl.ok()) << ftl.status();
    const double measured = SteadyStateUniformWa(*ftl, 1, 4.0, 4.0);
    const double sf = EffectiveSpareFactor(c, ftl->geometry().logical_pages());
    const double model = GreedyUniformWa(sf, c.pages_per_block);
    const double rho = op / (1.0 - op);
    std::printf("op %.2f: measured WA %.3f; greedy model %.3f (effective S_f %.4f; nominal S_f gives %.3f); "
                "LRW limit %.3f; (1+rho)/(2rho) %.3f\n",
                op, measured, model, sf, GreedyUniformWa(op, c.pages_per_block), LrwUniformWa(sf),
                (1 + rho) / (2 * rho));
    // Measured at seed 1: 0.65% below the model at op 0.07 (7.036 vs 7.082),
    // 0.05% at op 0.28 (1.970 vs 1.971); 1.5% leaves room for the seed, not
    // for a wrong GC (a victim choice off by one block's worth moves WA by
    // several per cent at op 0.07).
    EXPECT_NEAR(measured / model, 1.0, 0.015) << "op " << op;
    EXPECT_TRUE(ftl->CheckInvariants().ok());
  }
}

// Hot/cold: 80 % of writes to 20 % of the logical pages. Cost-benefit weighs
// a block's age, so it lets hot blocks empty further before collecting them
// and collects cold blocks that are fuller but stable; greedy only sees the
// valid count (Rosenblum & Ousterhout 1992, section 5.4).
TEST(GcWriteAmplificationTest, CostBenefitDoesNoWorseThanGreedyUnderHotColdWrites) {
  double wa[2];
  int i = 0;
  for (GcPolicy policy : {GcPolicy::kGreedy, GcPolicy::kCostBenefit}) {
    FtlConfig c = WaConfig(0.15, policy);
    c.blocks_per_plane = 512;
    absl::StatusOr<PageFtl> ftl = PageFtl::Create(c);
    ASSERT_TRUE(ftl.ok());
    const uint64_t lpns = ftl->geometry().logical_pages();
    sim::RandomStream rng(5, 1);
    ASSERT_TRUE(FillSequential(*ftl, 0, lpns).ok());
    ASSERT_TRUE(testing::HotColdWrites(*ftl, rng, lpns, lpns / 5, 0.8, 4 * lpns).ok());
    const FtlStats before = ftl->stats();
    ASSERT_TRUE(testing::HotColdWrites(*ftl, rng, lpns, lpns / 5, 0.8, 4 * lpns).ok());
    wa[i++] = WriteAmplificationBetween(before, ftl->stats());
  }
  std::printf("80/20 hot/cold, op 0.15: greedy WA %.3f, cost-benefit WA %.3f\n", wa[0], wa[1]);
  // Measured: greedy 3.735, cost-benefit 3.205, 14% lower. A cost-benefit
  // that lost its age term (and so ranked blocks as greedy does) lands
  // within 1% of greedy: require half the measured gain.
  EXPECT_LE(wa[1], 0.93 * wa[0]);
}

}  // namespace
}  // namespace strata::controller
