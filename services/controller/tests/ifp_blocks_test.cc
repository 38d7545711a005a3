#include <cstdio>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ftl/page_ftl.h"
#include "ftl/wa_model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "strata/sim/random.h"

namespace strata::controller {
namespace {

using ::testing::HasSubstr;

// 2 planes x 64 blocks x 12 pages (4 TLC wordlines -> 4 IFP pages a block).
FtlConfig IfpConfig() {
  FtlConfig c;
  c.planes = 2;
  c.blocks_per_plane = 64;
  c.pages_per_block = 12;
  c.over_provisioning = 0.3;
  return c;
}

PageFtl MakeFtl(const FtlConfig& c) {
  absl::StatusOr<PageFtl> ftl = PageFtl::Create(c);
  EXPECT_TRUE(ftl.ok()) << ftl.status();
  return *std::move(ftl);
}

TEST(IfpBlocksTest, RegionProgramsLsbPagesOnlyOnPinnedBlocksRoundRobin) {
  PageFtl ftl = MakeFtl(IfpConfig());
  std::vector<FlashOp> ops;
  // 10 weight pages at 4 per block -> ceil(10 / 4) = 3 blocks: plane 0, 1, 0.
  absl::StatusOr<uint32_t> region = ftl.AllocateIfpRegion(10, &ops);
  ASSERT_TRUE(region.ok()) << region.status();
  ASSERT_EQ(ops.size(), 10u);
  std::vector<FlashAddr> expected;
  const FlashAddr blocks[3] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  for (int i = 0; i < 10; ++i) {
    FlashAddr a = blocks[i / 4];
    a.page = 3 * (i % 4);  // LSB page of wordline i % 4
    expected.push_back(a);
    EXPECT_EQ(ops[i], (FlashOp{FlashOpKind::kProgram, OpCause::kIfp, a, true}));
  }
  absl::StatusOr<std::vector<FlashAddr>> pages = ftl.IfpPages(*region);
  ASSERT_TRUE(pages.ok());
  EXPECT_EQ(*pages, expected);
  EXPECT_EQ(ftl.State(0, 0), BlockState::kPinned);
  EXPECT_EQ(ftl.State(1, 0), BlockState::kPinned);
  EXPECT_EQ(ftl.State(0, 1), BlockState::kPinned);
  EXPECT_EQ(ftl.ValidPages(0, 1), 2u);
  EXPECT_EQ(ftl.stats().ifp_pages_programmed, 10u);
  const PoolReport pool = ftl.Pool();
  EXPECT_EQ(pool.pinned_blocks, 3u);
  EXPECT_EQ(pool.gc_pool_blocks, 125u);
  EXPECT_EQ(pool.ifp_capacity_pages, 12u);
  // 1536 physical pages, floor(1536 x 0.7) = 1075 logical; 125 x 12 = 1500 in the pool.
  EXPECT_DOUBLE_EQ(pool.effective_spare_factor, 1.0 - 1075.0 / 1500.0);
  EXPECT_TRUE(ftl.CheckInvariants().ok());
}

TEST(IfpBlocksTest, EmptyAndOversizedRegionsAreRefusedAndChangeNothing) {
  PageFtl ftl = MakeFtl(IfpConfig());
  std::vector<FlashOp> ops;
  EXPECT_EQ(ftl.AllocateIfpRegion(0, &ops).status().code(), absl::StatusCode::kInvalidArgument);
  // Pool: 128 blocks; logical 1075 pages need 90 blocks; reserve 2 x (2 + 4) = 12:
  // at most 128 - 12 - 90 = 26 blocks = 104 IFP pages.
  absl::StatusOr<uint32_t> too_big = ftl.AllocateIfpRegion(105, &ops);
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(too_big.status().message()), HasSubstr("allowed: at most 104 pages"));
  EXPECT_TRUE(ops.empty());
  EXPECT_EQ(ftl.Pool().pinned_blocks, 0u);
  EXPECT_TRUE(ftl.AllocateIfpRegion(104, &ops).ok());
  EXPECT_EQ(ftl.ReleaseIfpRegion(7).code(), absl::StatusCode::kNotFound);
}

TEST(IfpBlocksTest, GcNeverErasesPinnedBlocks) {
  for (GcPolicy policy : {GcPolicy::kGreedy, GcPolicy::kCostBenefit}) {
    FtlConfig c = IfpConfig();
    c.gc_policy = policy;
    PageFtl ftl = MakeFtl(c);
    std::vector<FlashOp> ops;
    absl::StatusOr<uint32_t> region = ftl.AllocateIfpRegion(40, &ops);  // 10 blocks
    ASSERT_TRUE(region.ok());
    const std::vector<FlashAddr> before = *ftl.IfpPages(*region);
    std::set<std::pair<uint32_t, uint32_t>> pinned;
    for (const FlashAddr& a : before) pinned.insert({a.plane, a.block});
    ASSERT_EQ(pinned.size(), 10u);
    sim::RandomStream rng(23, 1);
    const uint64_t lpns = ftl.geometry().logical_pages();
    uint64_t erases = 0;
    for (uint64_t i = 0; i < 20 * lpns; ++i) {
      ops.clear();
      ASSERT_TRUE(ftl.Write(rng.UniformInt(lpns), &ops).ok());
      for (const FlashOp& op : ops) {
        if (op.kind == FlashOpKind::kErase) {
          ++erases;
          EXPECT_FALSE(pinned.count({op.addr.plane, op.addr.block}));
        }
        EXPECT_FALSE(op.be_enc);
      }
    }
    EXPECT_GT(erases, 1000u);
    EXPECT_EQ(*ftl.IfpPages(*region), before);
    for (const auto& [plane, block] : pinned) EXPECT_EQ(ftl.EraseCount(plane, block), 0u);
    EXPECT_TRUE(ftl.CheckInvariants().ok());
  }
}

TEST(IfpBlocksTest, ReleasedRegionIsReclaimedWithoutCopies) {
  PageFtl ftl = MakeFtl(IfpConfig());
  std::vector<FlashOp> ops;
  absl::StatusOr<uint32_t> region = ftl.AllocateIfpRegion(8, &ops);  // blocks (0,0), (1,0)
  ASSERT_TRUE(region.ok());
  ASSERT_TRUE(ftl.ReleaseIfpRegion(*region).ok());
  EXPECT_EQ(ftl.State(0, 0), BlockState::kClosed);
  EXPECT_EQ(ftl.ValidPages(0, 0), 0u);
  EXPECT_EQ(ftl.Pool().pinned_blocks, 0u);
  EXPECT_EQ(ftl.IfpPages(*region).status().code(), absl::StatusCode::kNotFound);
  // Fill the drive: the first collection in each plane takes the empty
  // released block, with no page copies.
  ASSERT_TRUE(FillSequential(ftl, 0, ftl.geometry().logical_pages()).ok());
  sim::RandomStream rng(1, 1);
  while (ftl.stats().gc_victims < 2) {
    ops.clear();
    ASSERT_TRUE(ftl.Write(rng.UniformInt(ftl.geometry().logical_pages()), &ops).ok());
  }
  EXPECT_EQ(ftl.EraseCount(0, 0), 1u);
  EXPECT_EQ(ftl.EraseCount(1, 0), 1u);
  EXPECT_TRUE(ftl.CheckInvariants().ok());
}

// Static WL with a pinned region and half the user space static.
struct WlRun {
  FtlStats stats;
  WearStats wear;
  std::vector<FlashAddr> before, after;
  uint32_t max_pinned_erases = 0;
};
WlRun RunStaticWlWithIfp(bool moves_ifp) {
  FtlConfig c = IfpConfig();
  c.static_wl_threshold = 8;
  c.static_wl_moves_ifp = moves_ifp;
  PageFtl ftl = MakeFtl(c);
  std::vector<FlashOp> ops;
  absl::StatusOr<uint32_t> region = ftl.AllocateIfpRegion(16, &ops);
  EXPECT_TRUE(region.ok());
  WlRun run;
  run.before = *ftl.IfpPages(*region);
  const uint64_t lpns = ftl.geometry().logical_pages();
  EXPECT_TRUE(FillSequential(ftl, 0, lpns).ok());
  sim::RandomStream rng(29, 1);
  for (uint64_t i = 0; i < 40 * lpns; ++i) {
    ops.clear();
    EXPECT_TRUE(ftl.Write(rng.UniformInt(lpns / 2), &ops).ok());
    for (const FlashOp& op : ops) {
      // IFP data moves only between LSB pages, and only when allowed.
      if (op.be_enc) {
        EXPECT_TRUE(moves_ifp);
        EXPECT_EQ(op.cause, OpCause::kWearLevel);
        EXPECT_EQ(op.addr.page % 3, 0u);
      }
    }
  }
  EXPECT_TRUE(ftl.CheckInvariants().ok());
  run.stats = ftl.stats();
  run.wear = ftl.Wear();
  run.after = *ftl.IfpPages(*region);
  for (const FlashAddr& a : run.after) {
    run.max_pinned_erases = std::max(run.max_pinned_erases, ftl.EraseCount(a.plane, a.block));
    EXPECT_EQ(ftl.State(a.plane, a.block), BlockState::kPinned);
  }
  return run;
}

TEST(IfpBlocksTest, StaticWearLevellingLeavesIfpBlocksUnlessAllowed) {
  const WlRun kept = RunStaticWlWithIfp(false);
  EXPECT_EQ(kept.stats.ifp_block_migrations, 0u);
  EXPECT_EQ(kept.after, kept.before);
  EXPECT_GT(kept.stats.wl_migrations, 0u);
  // The pinned blocks stay at 0 erases while the rest wear: the spread is at
  // least the mean erase count of the drive.
  EXPECT_EQ(kept.wear.min_erases, 0u);

  const WlRun moved = RunStaticWlWithIfp(true);
  EXPECT_GT(moved.stats.ifp_block_migrations, 0u);
  EXPECT_NE(moved.after, moved.before);
  EXPECT_LT(moved.wear.spread(), kept.wear.spread());
  std::printf("static WL with 4 pinned IFP blocks: spread %u (IFP excluded) vs %u (IFP moved, %lu moves)\n",
              kept.wear.spread(), moved.wear.spread(),
              static_cast<unsigned long>(moved.stats.ifp_block_migrations));
}

// The reviewer's question: how do pinned be-enc IFP blocks change GC? With the
// user data (the whole logical space) fixed, pinning takes blocks out of the
// pool GC cycles through, so the effective spare factor drops from
// 1 - U / T to 1 - U / (T - pinned pages) and greedy WA follows the model at
// that spare factor. Each pinned block holds only 1/3 of its pages as weights
// (LSB only), so a region costs 3x its size in GC pool.
TEST(IfpBlocksTest, PinningShrinksTheGcPoolAndRaisesWriteAmplificationAsModelled) {
  FtlConfig c;
  c.planes = 2;
  c.blocks_per_plane = 1024;
  c.pages_per_block = 96;
  c.over_provisioning = 0.28;
  double wa[2], model[2], sf[2];
  uint64_t pinned_blocks = 0;
  for (int pin = 0; pin < 2; ++pin) {
    PageFtl ftl = MakeFtl(c);
    std::vector<FlashOp> ops;
    const uint64_t lpns = ftl.geometry().logical_pages();
    if (pin) {
      // 10 % of the blocks: 204 blocks x 32 LSB pages = 6528 weight pages.
      pinned_blocks = ftl.geometry().total_blocks() / 10;
      ASSERT_TRUE(ftl.AllocateIfpRegion(pinned_blocks * ftl.geometry().ifp_pages_per_block(), &ops).ok());
      ASSERT_EQ(ftl.Pool().pinned_blocks, pinned_blocks);
    }
    sim::RandomStream rng(31, 1);
    ASSERT_TRUE(FillSequential(ftl, 0, lpns).ok());
    ASSERT_TRUE(UniformWrites(ftl, rng, 0, lpns, 4 * lpns).ok());
    const FtlStats before = ftl.stats();
    ASSERT_TRUE(UniformWrites(ftl, rng, 0, lpns, 4 * lpns).ok());
    wa[pin] = WriteAmplificationBetween(before, ftl.stats());
    // As in gc_write_amplification_test: (threshold + 1) blocks per plane hold
    // no data between writes; pinned blocks hold none either.
    const double data_pages =
        (static_cast<double>(c.planes) * (c.blocks_per_plane - c.gc_free_block_threshold - 1) -
         static_cast<double>(pin ? pinned_blocks : 0)) * c.pages_per_block;
    sf[pin] = 1.0 - static_cast<double>(lpns) / data_pages;
    model[pin] = GreedyUniformWa(sf[pin], c.pages_per_block);
    std::printf("%s: pool %lu blocks, nominal S_f %.4f, effective S_f %.4f, measured WA %.3f, model %.3f\n",
                pin ? "10% pinned" : "no IFP", static_cast<unsigned long>(ftl.Pool().gc_pool_blocks),
                ftl.Pool().nominal_spare_factor, sf[pin], wa[pin], model[pin]);
    EXPECT_NEAR(wa[pin] / model[pin], 1.0, 0.10);
  }
  EXPECT_GT(wa[1], wa[0] * 1.2);
}

}  // namespace
}  // namespace strata::controller
