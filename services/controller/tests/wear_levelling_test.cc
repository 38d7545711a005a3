#include <cstdio>

#include "ftl/page_ftl.h"
#include "gtest/gtest.h"
#include "strata/sim/random.h"

namespace strata::controller {
namespace {

// Half the logical space is written once and never again (static data); the
// other half takes uniform random writes. Without static WL the blocks that
// hold static data are never erased while the rest cycle.
WearStats RunSkewed(uint32_t static_wl_threshold, FtlStats* stats) {
  FtlConfig c;
  c.planes = 2;
  c.blocks_per_plane = 128;
  c.pages_per_block = 48;
  c.over_provisioning = 0.2;
  c.static_wl_threshold = static_wl_threshold;
  absl::StatusOr<PageFtl> ftl = PageFtl::Create(c);
  EXPECT_TRUE(ftl.ok());
  const uint64_t lpns = ftl->geometry().logical_pages();
  sim::RandomStream rng(17, 1);
  EXPECT_TRUE(FillSequential(*ftl, 0, lpns).ok());
  EXPECT_TRUE(UniformWrites(*ftl, rng, 0, lpns / 2, 30 * lpns).ok());
  EXPECT_TRUE(ftl->CheckInvariants().ok());
  *stats = ftl->stats();
  return ftl->Wear();
}

TEST(WearLevellingTest, StaticWearLevellingBoundsEraseCountSpreadUnderSkewedWrites) {
  FtlStats off_stats, on_stats;
  const WearStats off = RunSkewed(0, &off_stats);
  const uint32_t threshold = 16;
  const WearStats on = RunSkewed(threshold, &on_stats);
  std::printf("static WL off: erase count min %u max %u mean %.1f sd %.1f, WA %.3f\n", off.min_erases,
              off.max_erases, off.mean_erases, off.stddev_erases, off_stats.WriteAmplification());
  std::printf("static WL on (threshold %u): min %u max %u mean %.1f sd %.1f, WA %.3f, %lu migrations\n",
              threshold, on.min_erases, on.max_erases, on.mean_erases, on.stddev_erases,
              on_stats.WriteAmplification(), static_cast<unsigned long>(on_stats.wl_migrations));
  EXPECT_EQ(off_stats.wl_migrations, 0u);
  EXPECT_GT(on_stats.wl_migrations, 0u);
  EXPECT_GT(off.spread(), 4 * threshold);  // the workload does skew wear
  EXPECT_LT(on.spread(), off.spread());
  EXPECT_LT(on.stddev_erases, off.stddev_erases);
  // Static WL checks after each erase, per plane, so a plane's spread can
  // exceed the threshold by the erases between checks: allow one more erase
  // of slack per block than the threshold.
  EXPECT_LE(on.spread(), threshold + 2);
}

}  // namespace
}  // namespace strata::controller
