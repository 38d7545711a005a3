#include "ftl/lazy_page_table.h"

#include <string>
#include <vector>

#include "ftl/ftl_config.h"
#include "ftl/ftl_mapping.h"
#include "ftl/page_ftl.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::controller {
namespace {

using ::testing::HasSubstr;

TEST(LazyPageTableTest, UnwrittenEntriesAreNoneAndCostNoChunk) {
  LazyPageTable t(uint64_t{1} << 32);
  const uint64_t directory = t.AllocatedBytes();
  EXPECT_EQ(t.Get(0), LazyPageTable::kNone);
  EXPECT_EQ(t.Get((uint64_t{1} << 32) - 1), LazyPageTable::kNone);
  t.Set(12345, LazyPageTable::kNone);  // clearing an unwritten entry allocates nothing
  EXPECT_EQ(t.AllocatedBytes(), directory);
  t.Set(7, 42);
  t.Set(8, LazyPageTable::kMaxValue);
  EXPECT_EQ(t.Get(7), 42u);
  EXPECT_EQ(t.Get(8), LazyPageTable::kMaxValue);
  EXPECT_EQ(t.Get(9), LazyPageTable::kNone);  // the rest of the chunk reads as unmapped
  EXPECT_EQ(t.AllocatedBytes(), directory + LazyPageTable::kChunkEntries * 4);
  t.Set(LazyPageTable::kChunkEntries, 1);  // the next chunk
  EXPECT_EQ(t.AllocatedBytes(), directory + 2 * LazyPageTable::kChunkEntries * 4);
  EXPECT_EQ(LazyPageTable::FullBytes(uint64_t{1} << 32), (uint64_t{1} << 34) + directory);
}

TEST(LazyPageTableTest, CopyIsDeep) {
  LazyPageTable a(100);
  a.Set(3, 9);
  LazyPageTable b = a;
  b.Set(3, 10);
  EXPECT_EQ(a.Get(3), 9u);
  EXPECT_EQ(b.Get(3), 10u);
}

// The MQSim-style drive of configs/ssd-io-mqsim-mlc-randread-4k.textproto
// mapped whole: 128 planes x 2048 blocks x 256 pages of 8 KiB (512 GiB).
FtlConfig WholeMqsimDrive() {
  FtlConfig c;
  c.planes = 128;
  c.blocks_per_plane = 2048;
  c.pages_per_block = 256;
  c.bits_per_cell = 2;
  c.over_provisioning = 0.07;
  return c;
}

TEST(LazyPageTableTest, AFreshWholeDriveHoldsNoMapUntilWritten) {
  absl::StatusOr<PageFtl> ftl = PageFtl::Create(WholeMqsimDrive());
  ASSERT_TRUE(ftl.ok()) << ftl.status();
  // 62.4 M logical and 67.1 M physical pages: 8-byte eager tables were
  // ~1000 MiB; the lazy ones hold only their directories (< 1 MiB).
  EXPECT_LT(ftl->MapBytes(), uint64_t{1} << 20);
  std::vector<FlashOp> ops;
  EXPECT_TRUE(absl::IsNotFound(ftl->Read(ftl->logical_pages() - 1, &ops)));  // a mapping miss
  EXPECT_TRUE(ops.empty());
  // 1,000 sequential pages touch one L2P chunk and, striped over 128
  // planes, one P2L chunk in each plane's first block's range.
  ASSERT_TRUE(FillSequential(*ftl, 0, 1000).ok());
  EXPECT_LT(ftl->MapBytes(), (uint64_t{1} << 20) + 129 * LazyPageTable::kChunkEntries * 4);
  ASSERT_TRUE(ftl->Read(999, &ops).ok());
  EXPECT_EQ(ops.size(), 1u);
}

TEST(LazyPageTableTest, FtlRefusesMorePagesThanFourByteEntriesHold) {
  FtlConfig c = WholeMqsimDrive();
  c.planes = 4096;
  c.blocks_per_plane = 8192;
  c.pages_per_block = 256;  // 8.6 G physical pages
  const absl::Status st = ValidateFtlConfig(c);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("ftl.planes x ftl.blocks_per_plane x ftl.pages_per_block = 8589934592 physical pages; "
                        "allowed: at most 4294967294"));
}

}  // namespace
}  // namespace strata::controller
