#include "ftl/page_ftl.h"

#include <optional>
#include <string>
#include <vector>

#include "ftl_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "strata/sim/random.h"

namespace strata::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

FlashOp Op(FlashOpKind kind, OpCause cause, uint32_t plane, uint32_t block, uint32_t page) {
  return FlashOp{kind, cause, FlashAddr{plane, block, page}, false};
}
FlashOp HostProgram(uint32_t plane, uint32_t block, uint32_t page) {
  return Op(FlashOpKind::kProgram, OpCause::kHost, plane, block, page);
}

// 2 planes x 24 blocks x 6 pages (2 TLC wordlines), half of it exported.
FtlConfig SmallConfig() {
  FtlConfig c;
  c.planes = 2;
  c.blocks_per_plane = 24;
  c.pages_per_block = 6;
  c.over_provisioning = 0.5;
  return c;
}

PageFtl MakeFtl(const FtlConfig& c) {
  absl::StatusOr<PageFtl> ftl = PageFtl::Create(c);
  EXPECT_TRUE(ftl.ok()) << ftl.status();
  return *std::move(ftl);
}

TEST(PageFtlTest, NewWritesStripeRoundRobinOverPlanes) {
  PageFtl ftl = MakeFtl(SmallConfig());
  EXPECT_EQ(ftl.geometry().logical_pages(), 144u);  // 2 x 24 x 6 x 0.5
  std::vector<FlashOp> ops;
  for (uint64_t lpn = 0; lpn < 4; ++lpn) ASSERT_TRUE(ftl.Write(lpn, &ops).ok());
  // Both planes open their least-worn (all 0), lowest-numbered free block.
  EXPECT_THAT(ops, ElementsAre(HostProgram(0, 0, 0), HostProgram(1, 0, 0), HostProgram(0, 0, 1),
                               HostProgram(1, 0, 1)));
  EXPECT_EQ(ftl.ValidPages(0, 0), 2u);
  EXPECT_EQ(ftl.ValidPages(1, 0), 2u);
  EXPECT_EQ(ftl.stats().host_writes, 4u);
}

TEST(PageFtlTest, OverwriteInvalidatesTheOldPage) {
  PageFtl ftl = MakeFtl(SmallConfig());
  std::vector<FlashOp> ops;
  ASSERT_TRUE(ftl.Write(5, &ops).ok());  // plane 0, block 0, page 0
  ASSERT_EQ(ftl.ValidPages(0, 0), 1u);
  ops.clear();
  ASSERT_TRUE(ftl.Write(5, &ops).ok());  // round-robin: plane 1, block 0, page 0
  EXPECT_THAT(ops, ElementsAre(HostProgram(1, 0, 0)));  // no read, no erase
  EXPECT_EQ(ftl.ValidPages(0, 0), 0u);
  EXPECT_EQ(ftl.ValidPages(1, 0), 1u);
  EXPECT_EQ(ftl.Lookup(5), (FlashAddr{1, 0, 0}));
  EXPECT_TRUE(ftl.CheckInvariants().ok());
}

TEST(PageFtlTest, TrimUnmapsWithoutFlashOperations) {
  PageFtl ftl = MakeFtl(SmallConfig());
  std::vector<FlashOp> ops;
  ASSERT_TRUE(ftl.Write(7, &ops).ok());
  ASSERT_TRUE(ftl.Read(7, &ops).ok());
  EXPECT_EQ(ops.back(), Op(FlashOpKind::kRead, OpCause::kHost, 0, 0, 0));
  ops.clear();
  ASSERT_TRUE(ftl.Trim(7).ok());
  EXPECT_TRUE(ops.empty());
  EXPECT_FALSE(ftl.Lookup(7).has_value());
  EXPECT_EQ(ftl.ValidPages(0, 0), 0u);
  EXPECT_EQ(ftl.Read(7, &ops).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(ftl.Trim(7).ok());  // trimming an unmapped page is harmless
  EXPECT_EQ(ftl.stats().trims, 2u);
  EXPECT_TRUE(ftl.CheckInvariants().ok());
}

TEST(PageFtlTest, OutOfRangeLpnIsInvalidArgumentNamingTheRange) {
  PageFtl ftl = MakeFtl(SmallConfig());
  std::vector<FlashOp> ops;
  absl::Status st = ftl.Write(144, &ops);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("lpn = 144; allowed: 0 to 143"));
  EXPECT_EQ(ftl.Trim(1000).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ops.empty());
}

// One plane, 40 blocks of 6 pages, 180 logical pages (op 0.25), GC below 2
// free blocks. The writes below leave block 0 with k = 2 valid pages and
// every other closed block with 4 or more, then open the 39th block:
//   phase 1: lpn 0..179 fill blocks 0..29 (block j holds lpn 6j..6j+5);
//   phase 2: rewrite lpn 2..5 -> block 0 keeps lpn 0, 1 (pages 0, 1);
//   phase 3: rewrite lpn 6j, j = 1..29 -> blocks 1..29 keep 5 valid;
//            phases 2 + 3 write 33 pages: blocks 30..34 full, block 35 has 3;
//   phase 4: rewrite lpn 6j + 1, j = 1..15 -> 15 pages fill blocks 35..37.
// The next write (lpn 97 = 6 x 16 + 1) closes block 37 and opens block 38:
// 1 free block (39) < 2, so GC runs. Greedy takes block 0 (2 valid): 2 reads,
// 2 programs into a new GC block (39, the last free one), 1 erase. One free
// block (0) is still < 2, so GC takes the first block that reached 4 valid,
// block 1 (pages 2..5 valid): 4 reads, 4 programs (block 39 pages 2..5), 1
// erase. Then 2 blocks are free and the host page is programmed.
TEST(PageFtlTest, GcOfBlockWithKValidPagesEmitsKReadsKProgramsAndOneErase) {
  FtlConfig c;
  c.planes = 1;
  c.blocks_per_plane = 40;
  c.pages_per_block = 6;
  c.over_provisioning = 0.25;
  PageFtl ftl = MakeFtl(c);
  ASSERT_EQ(ftl.geometry().logical_pages(), 180u);
  std::vector<FlashOp> ops;
  auto write = [&](uint64_t lpn) {
    ops.clear();
    ASSERT_TRUE(ftl.Write(lpn, &ops).ok());
  };
  for (uint64_t lpn = 0; lpn < 180; ++lpn) write(lpn);
  for (uint64_t lpn = 2; lpn <= 5; ++lpn) write(lpn);
  for (uint64_t j = 1; j <= 29; ++j) write(6 * j);
  for (uint64_t j = 1; j <= 15; ++j) write(6 * j + 1);
  EXPECT_EQ(ftl.stats().gc_erases, 0u);
  EXPECT_EQ(ftl.FreeBlocks(0), 2u);  // blocks 38, 39
  EXPECT_EQ(ftl.ValidPages(0, 0), 2u);

  write(6 * 16 + 1);
  using K = FlashOpKind;
  using C = OpCause;
  std::vector<FlashOp> expected = {
      Op(K::kRead, C::kGc, 0, 0, 0), Op(K::kProgram, C::kGc, 0, 39, 0),
      Op(K::kRead, C::kGc, 0, 0, 1), Op(K::kProgram, C::kGc, 0, 39, 1),
      Op(K::kErase, C::kGc, 0, 0, 0)};
  // Block 1's valid pages 2..5 land on pages 2..5 of block 39 (0, 1 hold block 0's).
  for (uint32_t page = 2; page < 6; ++page) {
    expected.push_back(Op(K::kRead, C::kGc, 0, 1, page));
    expected.push_back(Op(K::kProgram, C::kGc, 0, 39, page));
  }
  expected.push_back(Op(K::kErase, C::kGc, 0, 1, 0));
  expected.push_back(HostProgram(0, 38, 0));
  EXPECT_EQ(ops, expected);

  EXPECT_EQ(ftl.stats().gc_victims, 2u);
  EXPECT_EQ(ftl.stats().gc_page_copies, 6u);
  EXPECT_EQ(ftl.stats().gc_erases, 2u);
  EXPECT_EQ(ftl.State(0, 0), BlockState::kFree);
  EXPECT_EQ(ftl.EraseCount(0, 0), 1u);
  EXPECT_EQ(ftl.ValidPages(0, 0), 0u);
  EXPECT_EQ(ftl.FreeBlocks(0), 2u);
  EXPECT_EQ(ftl.Lookup(0), (FlashAddr{0, 39, 0}));
  EXPECT_EQ(ftl.Lookup(1), (FlashAddr{0, 39, 1}));
  EXPECT_EQ(ftl.Lookup(8), (FlashAddr{0, 39, 2}));  // lpn 8 was block 1 page 2
  EXPECT_EQ(ftl.Lookup(97), (FlashAddr{0, 38, 0}));
  // WA so far: (229 host + 6 copies) / 229.
  EXPECT_DOUBLE_EQ(ftl.stats().WriteAmplification(), 235.0 / 229.0);
  EXPECT_TRUE(ftl.CheckInvariants().ok());
}

TEST(PageFtlTest, MappingStaysConsistentUnderRandomWritesTrimsAndGc) {
  for (GcPolicy policy : {GcPolicy::kGreedy, GcPolicy::kCostBenefit}) {
    FtlConfig c = SmallConfig();
    c.over_provisioning = 0.3;
    c.gc_policy = policy;
    c.static_wl_threshold = 4;
    PageFtl ftl = MakeFtl(c);
    sim::RandomStream rng(7, 1);
    std::vector<FlashOp> ops;
    const uint64_t lpns = ftl.geometry().logical_pages();
    for (int i = 0; i < 20000; ++i) {
      const uint64_t lpn = rng.UniformInt(lpns);
      ops.clear();
      absl::Status st = rng.Bernoulli(0.05) ? ftl.Trim(lpn) : ftl.Write(lpn, &ops);
      ASSERT_TRUE(st.ok()) << st;
      for (const FlashOp& op : ops) {
        if (op.kind == FlashOpKind::kErase) {
          EXPECT_EQ(op.addr.page, 0u);
        }
      }
    }
    ASSERT_TRUE(ftl.CheckInvariants().ok()) << ftl.CheckInvariants();
    EXPECT_GT(ftl.stats().gc_erases, 0u);
  }
}

TEST(PageFtlTest, GcReadsAndProgramsComeInPairsAndEndWithTheVictimsErase) {
  FtlConfig c = SmallConfig();
  c.over_provisioning = 0.3;
  PageFtl ftl = MakeFtl(c);
  sim::RandomStream rng(11, 2);
  std::vector<FlashOp> ops;
  const uint64_t lpns = ftl.geometry().logical_pages();
  for (int i = 0; i < 5000; ++i) {
    ops.clear();
    const FtlStats before = ftl.stats();
    ASSERT_TRUE(ftl.Write(rng.UniformInt(lpns), &ops).ok());
    int gc_reads = 0, gc_programs = 0, gc_erases = 0;
    for (const FlashOp& op : ops) {
      if (op.cause != OpCause::kGc) continue;
      gc_reads += op.kind == FlashOpKind::kRead;
      gc_programs += op.kind == FlashOpKind::kProgram;
      gc_erases += op.kind == FlashOpKind::kErase;
    }
    EXPECT_EQ(gc_reads, static_cast<int>(ftl.stats().gc_page_copies - before.gc_page_copies));
    EXPECT_EQ(gc_programs, gc_reads);
    EXPECT_EQ(gc_erases, static_cast<int>(ftl.stats().gc_erases - before.gc_erases));
    // Between erases: reads from one victim block, each followed by a program
    // in the same plane; the erase names that victim.
    int reads_since_erase = 0;
    FlashAddr victim;
    for (size_t k = 0; k < ops.size(); ++k) {
      const FlashOp& op = ops[k];
      if (op.cause != OpCause::kGc) continue;
      if (op.kind == FlashOpKind::kRead) {
        if (reads_since_erase > 0) {
          EXPECT_EQ(op.addr.block, victim.block);
        }
        victim = op.addr;
        ++reads_since_erase;
        ASSERT_LT(k + 1, ops.size());
        EXPECT_EQ(ops[k + 1].kind, FlashOpKind::kProgram);
        EXPECT_EQ(ops[k + 1].addr.plane, op.addr.plane);
      } else if (op.kind == FlashOpKind::kErase) {
        if (reads_since_erase > 0) {
          EXPECT_EQ(op.addr.block, victim.block);
          EXPECT_EQ(op.addr.plane, victim.plane);
        }
        reads_since_erase = 0;
      }
    }
  }
}

TEST(PageFtlTest, DynamicWearLevellingOpensTheLeastWornFreeBlock) {
  FtlConfig c = SmallConfig();
  c.over_provisioning = 0.3;
  PageFtl ftl = MakeFtl(c);
  sim::RandomStream rng(3, 3);
  std::vector<FlashOp> ops;
  const uint64_t lpns = ftl.geometry().logical_pages();
  int checked = 0;
  for (uint64_t i = 0; i < 20000; ++i) {
    const uint32_t plane = static_cast<uint32_t>(i % c.planes);  // round-robin
    uint32_t min_free_ec = ~0u;
    for (uint32_t b = 0; b < c.blocks_per_plane; ++b) {
      if (ftl.State(plane, b) == BlockState::kFree) min_free_ec = std::min(min_free_ec, ftl.EraseCount(plane, b));
    }
    ops.clear();
    ASSERT_TRUE(ftl.Write(rng.UniformInt(lpns), &ops).ok());
    const FlashOp& host = ops.back();
    ASSERT_EQ(host.cause, OpCause::kHost);
    if (host.addr.page == 0 && i > 0) {  // this write opened a new host block
      EXPECT_EQ(ftl.EraseCount(plane, host.addr.block), min_free_ec);
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000);
}

// The mapping rebuilt a second way, from the flash operations alone: a host
// program puts its page at the op's address; a GC or WL copy (a read, then
// a program of the same cause) moves whatever page the read address held;
// a write first drops its page's old copy; an erase finds its block empty. After 30,000 hot/cold writes with GC and
// static WL at work, this shadow mapping, the erase counts it saw and the
// op counts must equal the FTL's own mapping, erase counts and counters.
// The same seed replayed from a pre-drawn list of pages gives the same
// digest; another seed, another.
TEST(PageFtlTest, TheMappingAndCountersAgreeWithAShadowBuiltFromTheFlashOps) {
  for (GcPolicy policy : {GcPolicy::kGreedy, GcPolicy::kCostBenefit}) {
    SCOPED_TRACE(policy == GcPolicy::kGreedy ? "greedy" : "cost-benefit");
    FtlConfig c = SmallConfig();
    c.over_provisioning = 0.3;
    c.gc_policy = policy;
    c.static_wl_threshold = 3;
    PageFtl ftl = MakeFtl(c);
    const uint64_t lpns = ftl.geometry().logical_pages(), hot = 20;
    // The same draws as testing::HotColdWrites, made up front.
    sim::RandomStream rng(42, 9);
    std::vector<uint64_t> pages;
    for (int i = 0; i < 30000; ++i) {
      pages.push_back(rng.Uniform01() < 0.8 ? rng.UniformInt(hot) : hot + rng.UniformInt(lpns - hot));
    }
    auto key = [&](const FlashAddr& a) { return (uint64_t{a.plane} * c.blocks_per_plane + a.block) * c.pages_per_block + a.page; };
    constexpr uint64_t kNone = ~uint64_t{0};
    std::vector<uint64_t> at(uint64_t{c.planes} * c.blocks_per_plane * c.pages_per_block, kNone);  // address -> page
    std::vector<std::optional<FlashAddr>> where(lpns);                                              // page -> address
    std::vector<uint32_t> erases(uint64_t{c.planes} * c.blocks_per_plane, 0);
    uint64_t programs = 0, copy_reads = 0, moving = kNone;
    std::vector<FlashOp> ops;
    for (uint64_t lpn : pages) {
      ops.clear();
      ASSERT_TRUE(ftl.Write(lpn, &ops).ok());
      // A write invalidates the page's old copy first (GC that the write
      // triggers may then erase that block without copying it).
      if (where[lpn]) at[key(*where[lpn])] = kNone;
      where[lpn].reset();
      for (const FlashOp& op : ops) {
        const uint64_t k = key(op.addr);
        if (op.kind == FlashOpKind::kErase) {
          ++erases[uint64_t{op.addr.plane} * c.blocks_per_plane + op.addr.block];
          for (uint32_t pg = 0; pg < c.pages_per_block; ++pg) ASSERT_EQ(at[k + pg], kNone) << "erased a live page";
          continue;
        }
        if (op.kind == FlashOpKind::kRead) {
          ASSERT_NE(op.cause, OpCause::kHost);
          ++copy_reads;
          moving = at[k];
          ASSERT_NE(moving, kNone) << "copied a page that holds nothing";
          continue;
        }
        ++programs;
        ASSERT_EQ(at[k], kNone) << "programmed a page twice without an erase";
        const uint64_t page = op.cause == OpCause::kHost ? lpn : moving;
        if (where[page]) at[key(*where[page])] = kNone;
        where[page] = op.addr;
        at[k] = page;
        moving = kNone;
      }
    }
    const FtlStats& st = ftl.stats();
    EXPECT_EQ(st.host_writes, pages.size());
    EXPECT_EQ(programs, st.host_writes + st.gc_page_copies + st.wl_page_copies);
    EXPECT_EQ(copy_reads, st.gc_page_copies + st.wl_page_copies);
    EXPECT_GT(st.gc_page_copies, 0u);
    EXPECT_GT(st.wl_page_copies, 0u);
    uint64_t erased = 0;
    for (uint32_t pl = 0; pl < c.planes; ++pl) {
      for (uint32_t b = 0; b < c.blocks_per_plane; ++b) {
        EXPECT_EQ(ftl.EraseCount(pl, b), erases[uint64_t{pl} * c.blocks_per_plane + b]) << pl << "/" << b;
        erased += erases[uint64_t{pl} * c.blocks_per_plane + b];
      }
    }
    EXPECT_EQ(erased, st.erases());
    for (uint64_t lpn = 0; lpn < lpns; ++lpn) EXPECT_EQ(ftl.Lookup(lpn), where[lpn]) << "lpn " << lpn;
    EXPECT_TRUE(ftl.CheckInvariants().ok());
    // Determinism: HotColdWrites from the same seed gives the same digest.
    PageFtl again = MakeFtl(c);
    sim::RandomStream rng_again(42, 9);
    ASSERT_TRUE(testing::HotColdWrites(again, rng_again, lpns, hot, 0.8, 30000).ok());
    EXPECT_EQ(again.Digest(), ftl.Digest());
    PageFtl other = MakeFtl(c);
    sim::RandomStream rng_other(43, 9);
    ASSERT_TRUE(testing::HotColdWrites(other, rng_other, lpns, hot, 0.8, 30000).ok());
    EXPECT_NE(other.Digest(), ftl.Digest());
  }
}

}  // namespace
}  // namespace strata::controller
