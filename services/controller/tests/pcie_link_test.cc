// PCIe link arithmetic against the PCI-SIG rates written out by hand.
#include <gtest/gtest.h>

#include "nvme/pcie_link.h"

namespace strata::controller {
namespace {

TEST(PcieLinkTest, Gen4x4RawRateIsAifsEightGigabytesPerSecond) {
  PcieLinkModel link(PcieConfig{});
  // 4 lanes x 16 GT/s x 128/130 / 8 bit = 7.877 GB/s.
  EXPECT_DOUBLE_EQ(link.RawBytesPerSecond(), 4.0 * 16e9 * 128.0 / 130.0 / 8.0);
  EXPECT_NEAR(link.RawBytesPerSecond(), 7.877e9, 1e6);
}

TEST(PcieLinkTest, Gen2UsesEightBTenBEncoding) {
  PcieConfig c;
  c.generation = 2;
  c.lanes = 1;
  EXPECT_DOUBLE_EQ(PcieLinkModel(c).RawBytesPerSecond(), 5e9 * 8.0 / 10.0 / 8.0);  // 500 MB/s
}

TEST(PcieLinkTest, PayloadIsSplitIntoMaxPayloadTlpsEachWithOverhead) {
  PcieLinkModel link(PcieConfig{});  // MPS 256, 26 B per TLP
  EXPECT_EQ(link.WireBytes(0), 26u);              // header-only request
  EXPECT_EQ(link.WireBytes(4), 4u + 26u);         // doorbell
  EXPECT_EQ(link.WireBytes(256), 256u + 26u);
  EXPECT_EQ(link.WireBytes(257), 257u + 2 * 26u);
  EXPECT_EQ(link.WireBytes(16384), 16384u + 64 * 26u);
  EXPECT_DOUBLE_EQ(link.Efficiency(16384), 16384.0 / 18048.0);
}

TEST(PcieLinkTest, WireTimeIsExactAndRoundsUpToAPicosecond) {
  PcieLinkModel link(PcieConfig{});
  // 1 B = 8 bit x 130/128 / (4 x 16e9 /s) = 126.953125 ps.
  EXPECT_EQ(link.WireTime(18048).ps(), 18048LL * 126953125 / 1000000);  // 2,291,250 ps exactly
  EXPECT_EQ(link.WireTime(1).ps(), 127);
  EXPECT_EQ(link.WireTime(30).ps(), 3809);  // 3808.59 rounded up
}

TEST(PcieLinkTest, InvalidConfigNamesTheField) {
  PcieConfig c;
  c.lanes = 3;
  EXPECT_EQ(ValidatePcieConfig(c).message(), "pcie.lanes = 3: allowed 1, 2, 4, 8, 16");
  c = PcieConfig{};
  c.generation = 6;
  EXPECT_TRUE(absl::IsInvalidArgument(ValidatePcieConfig(c)));
  EXPECT_NE(ValidatePcieConfig(c).message().find("pcie.generation = 6"), std::string::npos);
  c = PcieConfig{};
  c.max_payload_bytes = 300;
  EXPECT_NE(ValidatePcieConfig(c).message().find("pcie.max_payload_bytes = 300"), std::string::npos);
  EXPECT_TRUE(ValidatePcieConfig(PcieConfig{}).ok());
}

}  // namespace
}  // namespace strata::controller
