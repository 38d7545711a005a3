// BlockFtl: block-level mapping (no log blocks) and BAST-style hybrid
// mapping, against hand-computed operation sequences and the write
// amplification that follows from them.
#include "ftl/block_ftl.h"

#include <cstdio>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "strata/sim/random.h"

namespace strata::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// An SLC geometry with `log_blocks` log blocks per plane.
BlockFtlConfig Geometry(uint32_t planes, uint32_t blocks_per_plane, uint32_t pages_per_block,
                        double over_provisioning, uint32_t log_blocks) {
  BlockFtlConfig c;
  c.ftl.planes = planes;
  c.ftl.blocks_per_plane = blocks_per_plane;
  c.ftl.pages_per_block = pages_per_block;
  c.ftl.bits_per_cell = 1;
  c.ftl.over_provisioning = over_provisioning;
  c.log_blocks_per_plane = log_blocks;
  return c;
}

// 1 plane x 8 blocks x 4 pages, half spare: 4 logical blocks (16 pages).
BlockFtlConfig Small(uint32_t log_blocks) { return Geometry(1, 8, 4, 0.5, log_blocks); }

FlashOp Op(FlashOpKind kind, OpCause cause, uint32_t block, uint32_t page) {
  FlashOp op;
  op.kind = kind;
  op.cause = cause;
  op.addr = {0, block, page};
  return op;
}
FlashOp HostProgram(uint32_t b, uint32_t p) { return Op(FlashOpKind::kProgram, OpCause::kHost, b, p); }
FlashOp GcRead(uint32_t b, uint32_t p) { return Op(FlashOpKind::kRead, OpCause::kGc, b, p); }
FlashOp GcProgram(uint32_t b, uint32_t p) { return Op(FlashOpKind::kProgram, OpCause::kGc, b, p); }
FlashOp Erase(uint32_t b) { return Op(FlashOpKind::kErase, OpCause::kGc, b, 0); }

void WriteAll(BlockFtl& ftl, std::initializer_list<uint64_t> lpns, std::vector<FlashOp>* ops) {
  for (uint64_t lpn : lpns) ASSERT_TRUE(ftl.Write(lpn, ops).ok()) << lpn;
}

TEST(BlockFtlTest, BlockMappingOverwriteIsAFullMergeOfTheBlock) {
  auto ftl = BlockFtl::Create(Small(0));
  ASSERT_TRUE(ftl.ok()) << ftl.status();
  EXPECT_EQ(ftl->logical_pages(), 16u);
  std::vector<FlashOp> ops;
  WriteAll(*ftl, {0, 1, 2, 3}, &ops);  // in place, block 0 (least worn, lowest id)
  EXPECT_THAT(ops, ElementsAre(HostProgram(0, 0), HostProgram(0, 1), HostProgram(0, 2), HostProgram(0, 3)));
  ops.clear();
  WriteAll(*ftl, {1}, &ops);  // offset 1 is behind the write pointer: merge into block 1
  EXPECT_THAT(ops, ElementsAre(GcRead(0, 0), GcProgram(1, 0), HostProgram(1, 1), GcRead(0, 2), GcProgram(1, 2),
                               GcRead(0, 3), GcProgram(1, 3), Erase(0)));
  EXPECT_EQ(ftl->stats().gc_page_copies, 3u);
  EXPECT_DOUBLE_EQ(ftl->stats().WriteAmplification(), (5.0 + 3.0) / 5.0);
  EXPECT_EQ(ftl->merges().full_merges, 1u);
  EXPECT_EQ(ftl->Lookup(1), (FlashAddr{0, 1, 1}));
  EXPECT_TRUE(ftl->CheckInvariants().ok()) << ftl->CheckInvariants();
}

TEST(BlockFtlTest, SequentialRewriteIsASwitchMergeWithoutCopies) {
  auto ftl = BlockFtl::Create(Small(1));
  ASSERT_TRUE(ftl.ok()) << ftl.status();
  std::vector<FlashOp> ops;
  WriteAll(*ftl, {0, 1, 2, 3}, &ops);
  ops.clear();
  WriteAll(*ftl, {0, 1, 2, 3}, &ops);  // into a log block (block 1), which then replaces block 0
  EXPECT_THAT(ops, ElementsAre(HostProgram(1, 0), HostProgram(1, 1), HostProgram(1, 2), HostProgram(1, 3), Erase(0)));
  EXPECT_EQ(ftl->merges().switch_merges, 1u);
  EXPECT_DOUBLE_EQ(ftl->stats().WriteAmplification(), 1.0);
  EXPECT_TRUE(ftl->CheckInvariants().ok()) << ftl->CheckInvariants();
}

TEST(BlockFtlTest, OpeningALogBlockPastTheLimitMergesTheOldestPartially) {
  auto ftl = BlockFtl::Create(Small(1));
  ASSERT_TRUE(ftl.ok()) << ftl.status();
  std::vector<FlashOp> ops;
  WriteAll(*ftl, {0, 1, 2, 3, 4, 5, 6, 7}, &ops);  // logical blocks 0, 1 in blocks 0, 1
  WriteAll(*ftl, {0, 1}, &ops);                    // log block 2 holds offsets 0, 1 of logical block 0
  ops.clear();
  WriteAll(*ftl, {5}, &ops);  // logical block 1 needs the only log block: partial merge of block 0's log
  EXPECT_THAT(ops, ElementsAre(GcRead(0, 2), GcProgram(2, 2), GcRead(0, 3), GcProgram(2, 3), Erase(0),
                               HostProgram(3, 0)));
  EXPECT_EQ(ftl->merges().partial_merges, 1u);
  EXPECT_EQ(ftl->Lookup(2), (FlashAddr{0, 2, 2}));
  EXPECT_EQ(ftl->Lookup(5), (FlashAddr{0, 3, 0}));
  EXPECT_TRUE(ftl->CheckInvariants().ok()) << ftl->CheckInvariants();
}

// Random single-page overwrites of a full drive under block mapping: each
// one copies the other pages_per_block - 1 pages, so WA = pages_per_block
// exactly. Hybrid mapping with log blocks can only do better, and a purely
// sequential rewrite costs it nothing.
TEST(BlockFtlTest, RandomOverwritesCostAWholeBlockEachUnderBlockMapping) {
  for (uint32_t logs : {0u, 4u}) {
    auto ftl = BlockFtl::Create(Geometry(4, 64, 64, 0.125, logs));
    ASSERT_TRUE(ftl.ok()) << ftl.status();
    std::vector<FlashOp> ops;
    for (uint64_t lpn = 0; lpn < ftl->logical_pages(); ++lpn) ASSERT_TRUE(ftl->Write(lpn, &ops).ok());
    const FtlStats before = ftl->stats();
    sim::RandomStream rng(1, 2);
    for (int i = 0; i < 20000; ++i) {
      ops.clear();
      ASSERT_TRUE(ftl->Write(rng.UniformInt(ftl->logical_pages()), &ops).ok());
    }
    const double wa = WriteAmplificationBetween(before, ftl->stats());
    SCOPED_TRACE(::testing::Message() << "log blocks " << logs);
    std::printf("random overwrites, %u log blocks per plane: WA %.2f, merges switch/partial/full %lu/%lu/%lu\n",
                logs, wa, static_cast<unsigned long>(ftl->merges().switch_merges),
                static_cast<unsigned long>(ftl->merges().partial_merges),
                static_cast<unsigned long>(ftl->merges().full_merges));
    if (logs == 0) {
      EXPECT_DOUBLE_EQ(wa, 64.0);
    } else {
      EXPECT_GT(wa, 1.0);
      EXPECT_LT(wa, 64.0);
    }
    EXPECT_TRUE(ftl->CheckInvariants().ok()) << ftl->CheckInvariants();
    // Every block was erased at least once; dynamic wear levelling keeps
    // the spread small.
    EXPECT_GT(ftl->Wear().min_erases, 0u);
  }
}

TEST(BlockFtlTest, MixedWritesTrimsAndReadsKeepTheInvariantsAndAreDeterministic) {
  auto run = [](uint64_t seed) {
    auto ftl = BlockFtl::Create(Small(2));
    EXPECT_TRUE(ftl.ok());
    sim::RandomStream rng(seed, 1);
    std::vector<FlashOp> ops;
    for (int i = 0; i < 5000; ++i) {
      const uint64_t lpn = rng.UniformInt(ftl->logical_pages());
      const double u = rng.Uniform01();
      if (u < 0.7) {
        EXPECT_TRUE(ftl->Write(lpn, &ops).ok());
      } else if (u < 0.8) {
        EXPECT_TRUE(ftl->Trim(lpn).ok());
        EXPECT_EQ(ftl->Lookup(lpn), std::nullopt);
      } else {
        const absl::Status s = ftl->Read(lpn, &ops);
        EXPECT_TRUE(s.ok() || absl::IsNotFound(s)) << s;
      }
      if (absl::Status s = ftl->CheckInvariants(); !s.ok()) {
        ADD_FAILURE() << "step " << i << ": " << s;
        break;
      }
    }
    return ftl->Digest();
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

TEST(BlockFtlTest, BadConfigAndAddressesNameTheField) {
  BlockFtlConfig c = Small(4);  // 4 spare blocks cannot hold 4 log blocks and a merge target
  auto ftl = BlockFtl::Create(c);
  ASSERT_FALSE(ftl.ok());
  EXPECT_EQ(ftl.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ftl.status().message(), HasSubstr("log_blocks_per_plane = 4"));
  EXPECT_THAT(ftl.status().message(), HasSubstr("allowed: log_blocks_per_plane 0 to 3"));
  auto ok = BlockFtl::Create(Small(3));
  ASSERT_TRUE(ok.ok());
  std::vector<FlashOp> ops;
  EXPECT_THAT(ok->Write(16, &ops).message(), HasSubstr("lpn = 16; allowed: 0 to 15"));
  EXPECT_TRUE(absl::IsNotFound(ok->Read(3, &ops)));
  EXPECT_TRUE(ops.empty());
}

}  // namespace
}  // namespace strata::controller
