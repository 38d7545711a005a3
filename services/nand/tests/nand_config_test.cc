#include "flash/nand_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "flash/page_coding.h"

namespace strata::nand {
namespace {

using ::testing::HasSubstr;
using sim::SimTime;

SimTime Us(double us) { return SimTime::FromMicroseconds(us); }

// AiF ISCA'25: tR (2,3,2) LSB/CSB/MSB 37/46/37 us; be-enc (1,3,3) 28/46/46 us.
TEST(NandConfigTest, AifDefaultPhasesReproducePublishedReadTimesExactly) {
  const NandConfig c = AifDefaultNandConfig();
  const NandTiming& t = c.timing;
  auto tr = [&](BlockCoding coding, uint32_t type, bool cr) {
    return ArrayReadTime(t, *ReadLevels(3, coding, type), cr);
  };
  EXPECT_EQ(tr(BlockCoding::kDefault, 0, false), Us(37));
  EXPECT_EQ(tr(BlockCoding::kDefault, 1, false), Us(46));
  EXPECT_EQ(tr(BlockCoding::kDefault, 2, false), Us(37));
  EXPECT_EQ(tr(BlockCoding::kBiasErrorEncoding, 0, false), Us(28));
  EXPECT_EQ(tr(BlockCoding::kBiasErrorEncoding, 1, false), Us(46));
  EXPECT_EQ(tr(BlockCoding::kBiasErrorEncoding, 2, false), Us(46));
  // be-enc LSB with cr-read: 9.7 us (AiF).
  EXPECT_EQ(tr(BlockCoding::kBiasErrorEncoding, 0, true), Us(9.7));
  // The phases are what the file comment derives.
  EXPECT_EQ(t.precharge + t.discharge, Us(19));
  EXPECT_EQ(t.sense_per_level, Us(9));
  EXPECT_EQ(t.recycle, Us(0.7));
}

TEST(NandConfigTest, AifDefaultGeometryAndLinksMatchThePaper) {
  const NandConfig c = AifDefaultNandConfig();
  EXPECT_EQ(c.geometry.channels, 8u);
  EXPECT_EQ(c.geometry.dies_per_channel, 2u);
  EXPECT_EQ(c.geometry.planes_per_die, 4u);
  EXPECT_EQ(c.geometry.page_bytes, 16u * 1024);
  EXPECT_EQ(c.bus.bytes_per_second(), 2'000'000'000u);  // ONFI 2.0 GB/s
  EXPECT_EQ(c.ecc.ecclite_t, 10u);
  EXPECT_EQ(c.ecc.ecclite_bytes_per_s, 6'400'000'000u);
  // 1 TiB class: 64 planes x 1366 blocks x 768 pages x 16 KiB >= 2^40 B.
  const uint64_t bytes = TotalPages(c.geometry) * c.geometry.page_bytes;
  EXPECT_GE(bytes, uint64_t{1} << 40);
  EXPECT_LT(bytes, (uint64_t{1} << 40) + (uint64_t{1} << 30));
  EXPECT_TRUE(ValidateNandConfig(c).ok());
}

TEST(NandConfigTest, ValidationNamesFieldValueAndRange) {
  NandConfig c = AifDefaultNandConfig();
  c.geometry.planes_per_die = 0;
  absl::Status s = ValidateNandConfig(c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("geometry.planes_per_die = 0; allowed: 1 to 128"));

  c = AifDefaultNandConfig();
  c.timing.sense_per_level = SimTime::Zero();
  EXPECT_THAT(ValidateNandConfig(c).message(), HasSubstr("timing.sense_per_level = "));

  c = AifDefaultNandConfig();
  c.geometry.page_bytes = 16000;
  EXPECT_THAT(ValidateNandConfig(c).message(), HasSubstr("geometry.page_bytes = 16000; allowed: a multiple of"));

  c = AifDefaultNandConfig();
  c.ecc.retry_rber_factor = 1.5;
  EXPECT_THAT(ValidateNandConfig(c).message(), HasSubstr("ecc.retry_rber_factor = 1.5; allowed: 0 to 1"));

  c = AifDefaultNandConfig();
  c.bus.mega_transfers_per_s = 0;
  EXPECT_THAT(ValidateNandConfig(c).message(), HasSubstr("bus.mega_transfers_per_s = 0"));
}

}  // namespace
// Each geometry field within its range, the product far beyond memory:
// the array was allocated block by block until the machine ran out.
TEST(NandConfigTest, AnArrayWithMoreBlocksThanMemoryCanHoldIsRefused) {
  NandConfig c;
  c.geometry.channels = 64;
  c.geometry.dies_per_channel = 16;
  c.geometry.planes_per_die = 128;
  c.geometry.blocks_per_plane = 100'000;
  const absl::Status s = ValidateNandConfig(c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("= 13107200000 blocks; allowed: at most 33554432"));
  c.geometry.blocks_per_plane = 4096;  // 2^25 exactly
  c.geometry.planes_per_die = 8;
  EXPECT_TRUE(ValidateNandConfig(c).ok()) << ValidateNandConfig(c);
}

}  // namespace strata::nand
