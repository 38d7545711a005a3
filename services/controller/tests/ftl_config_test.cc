#include "ftl/ftl_config.h"

#include <string>

#include "ftl/page_ftl.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace strata::controller {
namespace {

using ::testing::HasSubstr;

TEST(FtlConfigTest, DefaultConfigIsValidAndExportsPhysicalTimesOneMinusOp) {
  FtlConfig c;
  ASSERT_TRUE(ValidateFtlConfig(c).ok());
  Geometry g(c);
  // 4 planes x 1024 blocks x 384 pages = 1,572,864 pages; x 0.93 = 1,462,763.52.
  EXPECT_EQ(g.physical_pages(), 1'572'864u);
  EXPECT_EQ(g.logical_pages(), 1'462'763u);
  EXPECT_EQ(g.wordlines_per_block(), 128u);
  EXPECT_EQ(g.ifp_pages_per_block(), 128u);  // LSB only: 1 of 3 TLC pages
}

TEST(FtlConfigTest, ZeroPlanesNamesFieldValueAndRange) {
  FtlConfig c;
  c.planes = 0;
  absl::Status st = ValidateFtlConfig(c);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("ftl.planes = 0; allowed: 1 to 4096"));
}

TEST(FtlConfigTest, GcThresholdBelowTwoIsRejected) {
  FtlConfig c;
  c.gc_free_block_threshold = 1;
  EXPECT_THAT(std::string(ValidateFtlConfig(c).message()),
              HasSubstr("ftl.gc_free_block_threshold = 1; allowed: 2 to 64"));
}

TEST(FtlConfigTest, PagesPerBlockMustHoldWholeWordlines) {
  FtlConfig c;
  c.pages_per_block = 256;  // not a multiple of 3 (TLC)
  EXPECT_THAT(std::string(ValidateFtlConfig(c).message()),
              HasSubstr("ftl.pages_per_block = 256; allowed: a multiple of bits_per_cell = 3"));
}

TEST(FtlConfigTest, TooFewBlocksPerPlaneIsRejected) {
  FtlConfig c;
  c.blocks_per_plane = 19;  // 4 x (2 + 3) = 20 needed
  EXPECT_THAT(std::string(ValidateFtlConfig(c).message()),
              HasSubstr("ftl.blocks_per_plane = 19; allowed: 20 to"));
}

TEST(FtlConfigTest, OverProvisioningOutsideRangeIsRejected) {
  FtlConfig c;
  c.over_provisioning = 0.95;
  EXPECT_THAT(std::string(ValidateFtlConfig(c).message()),
              HasSubstr("ftl.over_provisioning = 0.95; allowed: greater than 0 up to 0.9"));
}

TEST(FtlConfigTest, OverProvisioningMustCoverTheGcReserve) {
  FtlConfig c;
  c.planes = 1;
  c.blocks_per_plane = 64;
  c.pages_per_block = 96;
  c.over_provisioning = 0.05;
  // 6144 physical pages, floor(6144 x 0.95) = 5836 logical: 308 spare pages =
  // 3 whole blocks; the reserve needs 1 x (2 + 4) = 6.
  absl::Status st = ValidateFtlConfig(c);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("leaves 3 spare blocks; allowed: at least 6"));
}

TEST(FtlConfigTest, CreateRefusesAnInvalidConfig) {
  FtlConfig c;
  c.bits_per_cell = 5;
  absl::StatusOr<PageFtl> ftl = PageFtl::Create(c);
  EXPECT_EQ(ftl.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ftl.status().message()), HasSubstr("ftl.bits_per_cell = 5; allowed: 1 to 4"));
}

TEST(FtlConfigTest, GcPolicyNamesRoundTrip) {
  for (GcPolicy p : {GcPolicy::kGreedy, GcPolicy::kCostBenefit}) {
    absl::StatusOr<GcPolicy> parsed = ParseGcPolicy(GcPolicyName(p));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_THAT(std::string(ParseGcPolicy("lru").status().message()),
              HasSubstr("gc_policy = 'lru'; allowed: 'greedy', 'cost_benefit'"));
}

}  // namespace
}  // namespace strata::controller
