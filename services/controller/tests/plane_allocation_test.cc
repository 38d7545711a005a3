// Plane allocation order (SsdControllerConfig::plane_allocation, MQSim's
// Plane_Allocation_Scheme): a sequential fill places consecutive logical
// pages on channels, chips, dies and planes in the order asked, the first
// letter varying fastest.
#include <gtest/gtest.h>

#include <string>

#include "flash/nand_config.h"
#include "ssd/ssd_controller.h"

namespace strata::controller {
namespace {

struct Place {
  uint32_t channel, chip, die, plane;
  friend bool operator==(const Place&, const Place&) = default;
};

// 2 channels x 2 chips x 2 dies x 2 planes (units numbered channel first:
// u -> channel u % C, channel die (u / C) % 4, plane u / (C x 4); channel
// die d is die d / 2 of chip d % 2).
class PlaneAllocationTest : public ::testing::TestWithParam<std::string> {
 protected:
  static nand::NandConfig Nand() {
    nand::NandConfig n = nand::AifDefaultNandConfig();
    n.geometry.channels = 2;
    n.geometry.dies_per_channel = 4;
    n.geometry.planes_per_die = 2;
    n.geometry.blocks_per_plane = 32;
    n.geometry.wordlines_per_block = 16;
    return n;
  }
  static Place PlaceOf(const FlashAddr& a) {
    const uint32_t channel_die = (a.plane / 2) % 4;
    return {a.plane % 2, channel_die % 2, channel_die / 2, a.plane / 8};
  }
};

TEST_P(PlaneAllocationTest, ConsecutivePagesFollowTheOrder) {
  const std::string order = GetParam();
  SsdControllerConfig c;
  c.ftl.over_provisioning = 0.25;  // this small drive's GC reserve
  c.plane_allocation = order;
  c.dies_per_chip = 2;
  auto ctrl = SsdController::Create("ssd", Nand(), c);
  ASSERT_TRUE(ctrl.ok()) << ctrl.status();
  ASSERT_TRUE((*ctrl)->Precondition(0, 32).ok());
  for (uint32_t i = 0; i < 32; ++i) {
    // Digits of i in the order's radices (2 each here), first letter fastest.
    Place want{};
    uint32_t rest = i % 16;
    for (char letter : order) {
      uint32_t& digit = letter == 'C' ? want.channel : letter == 'W' ? want.chip : letter == 'D' ? want.die : want.plane;
      digit = rest % 2;
      rest /= 2;
    }
    const auto addr = (*ctrl)->ftl().Lookup(i);
    ASSERT_TRUE(addr.has_value());
    const Place got = PlaceOf(*addr);
    EXPECT_EQ(got, want) << order << " lpn " << i << ": got channel " << got.channel << " chip " << got.chip
                         << " die " << got.die << " plane " << got.plane;
  }
}

INSTANTIATE_TEST_SUITE_P(Orders, PlaneAllocationTest,
                         ::testing::Values("CWDP", "PWDC", "CDWP", "DPCW", "WCPD", "PDWC"));

TEST(PlaneAllocationErrorsTest, NameTheField) {
  SsdControllerConfig c;
  c.plane_allocation = "CWDD";
  auto ctrl = SsdController::Create("ssd", nand::AifDefaultNandConfig(), c);
  ASSERT_FALSE(ctrl.ok());
  EXPECT_NE(ctrl.status().message().find("controller.plane_allocation = \"CWDD\""), std::string::npos)
      << ctrl.status();
  c.plane_allocation = "PWDC";
  c.dies_per_chip = 3;
  ctrl = SsdController::Create("ssd", nand::AifDefaultNandConfig(), c);
  ASSERT_FALSE(ctrl.ok());
  EXPECT_NE(ctrl.status().message().find("controller.dies_per_chip = 3"), std::string::npos) << ctrl.status();
}

}  // namespace
}  // namespace strata::controller
