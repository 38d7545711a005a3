#include "flash/page_coding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace strata::nand {
namespace {

using ::testing::HasSubstr;

// A Gray code over 2^b states has 2^b - 1 boundaries; every boundary is read
// by exactly one page type, so the levels of a wordline sum to 2^b - 1.
TEST(PageCodingTest, ReadLevelsOfAWordlineCoverEveryBoundaryOnce) {
  for (uint32_t bits = 1; bits <= 4; ++bits) {
    uint32_t sum = 0;
    for (uint32_t t = 0; t < bits; ++t) sum += *ReadLevels(bits, BlockCoding::kDefault, t);
    EXPECT_EQ(sum, (1u << bits) - 1) << bits;
  }
  uint32_t sum = 0;
  for (uint32_t t = 0; t < 3; ++t) sum += *ReadLevels(3, BlockCoding::kBiasErrorEncoding, t);
  EXPECT_EQ(sum, 7u);
}

TEST(PageCodingTest, TlcDefaultIs232AndBeEncIs133) {
  EXPECT_EQ(*ReadLevels(3, BlockCoding::kDefault, 0), 2u);
  EXPECT_EQ(*ReadLevels(3, BlockCoding::kDefault, 1), 3u);
  EXPECT_EQ(*ReadLevels(3, BlockCoding::kDefault, 2), 2u);
  EXPECT_EQ(*ReadLevels(3, BlockCoding::kBiasErrorEncoding, 0), 1u);
  EXPECT_EQ(*ReadLevels(3, BlockCoding::kBiasErrorEncoding, 1), 3u);
  EXPECT_EQ(*ReadLevels(3, BlockCoding::kBiasErrorEncoding, 2), 3u);
}

TEST(PageCodingTest, BeEncOutsideTlcAndBadPageTypeAreRejected) {
  EXPECT_THAT(ReadLevels(2, BlockCoding::kBiasErrorEncoding, 0).status().message(), HasSubstr("be-enc only on TLC"));
  EXPECT_THAT(ReadLevels(3, BlockCoding::kDefault, 3).status().message(), HasSubstr("page_type = 3; allowed: 0 to 2"));
}

TEST(PageCodingTest, PagesAreWordlineMajor) {
  NandGeometry g;
  EXPECT_EQ(ToWordlinePage(g, 0).wordline, 0u);
  EXPECT_EQ(ToWordlinePage(g, 5).wordline, 1u);
  EXPECT_EQ(ToWordlinePage(g, 5).page_type, 2u);  // MSB of wordline 1
  EXPECT_EQ(ToPage(g, {7, 1}), 22u);
  for (uint32_t p = 0; p < g.pages_per_block(); ++p) EXPECT_EQ(ToPage(g, ToWordlinePage(g, p)), p);
}

TEST(PageCodingTest, FlatIndexRoundTripsAndNamesOutOfRangeField) {
  NandGeometry g;
  const PageAddress a{7, 1, 3, 1365, 767};
  auto i = FlatPageIndex(g, a);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(*i, TotalPages(g) - 1);
  EXPECT_EQ(*FromFlatPageIndex(g, *i), a);
  const PageAddress b{3, 0, 2, 100, 17};
  EXPECT_EQ(*FromFlatPageIndex(g, *FlatPageIndex(g, b)), b);
  EXPECT_EQ(*FlatPageIndex(g, PageAddress{0, 0, 0, 0, 1}), 1u);
  EXPECT_EQ(*FlatPageIndex(g, PageAddress{0, 0, 1, 0, 0}), uint64_t{g.blocks_per_plane} * g.pages_per_block());
  EXPECT_THAT(FlatPageIndex(g, PageAddress{0, 2, 0, 0, 0}).status().message(), HasSubstr("address.die = 2; allowed: 0 to 1"));
  EXPECT_FALSE(FromFlatPageIndex(g, TotalPages(g)).ok());
}

}  // namespace
}  // namespace strata::nand
