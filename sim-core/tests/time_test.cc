#include "strata/sim/time.h"

#include <gtest/gtest.h>

namespace strata::sim {
namespace {

TEST(SimTimeTest, UnitConstructorsAgreeInPicoseconds) {
  EXPECT_EQ(SimTime::Nanoseconds(1).ps(), 1'000);
  EXPECT_EQ(SimTime::Microseconds(1).ps(), 1'000'000);
  EXPECT_EQ(SimTime::Milliseconds(1).ps(), 1'000'000'000);
  EXPECT_EQ(SimTime::Seconds(1).ps(), 1'000'000'000'000);
  EXPECT_EQ(SimTime::Microseconds(37), SimTime::Nanoseconds(37'000));
}

TEST(SimTimeTest, ConfiguredFractionsRoundToNearestPicosecond) {
  EXPECT_EQ(SimTime::FromMicroseconds(9.7).ps(), 9'700'000);  // AiF cr-read tR
  EXPECT_EQ(SimTime::FromNanoseconds(0.0004).ps(), 0);
  EXPECT_EQ(SimTime::FromNanoseconds(0.0006).ps(), 1);
}

TEST(SimTimeTest, ToStringPicksTheLargestWholeUnit) {
  EXPECT_EQ(SimTime::Microseconds(37).ToString(), "37 us");
  EXPECT_EQ(SimTime::Picoseconds(1500).ToString(), "1.5 ns");
  EXPECT_EQ(SimTime::Picoseconds(12).ToString(), "12 ps");
  EXPECT_EQ(SimTime::Infinite().ToString(), "inf");
}

TEST(SimTimeTest, TransferTimeIsExactAndRoundsUp) {
  // A 16 KiB page over a 2.0 GB/s ONFI channel: 16384 / 2e9 s = 8.192 us.
  EXPECT_EQ(TransferTime(16384, 2'000'000'000), SimTime::Nanoseconds(8192));
  // 1 byte at 3 B/s = 333333333333.33 ps, rounded up.
  EXPECT_EQ(TransferTime(1, 3).ps(), 333'333'333'334);
  EXPECT_TRUE(TransferTime(1, 0).IsInfinite());
  EXPECT_EQ(CyclesAt(200, 200'000'000), SimTime::Microseconds(1));  // 200 cycles at 200 MHz
}

TEST(SimTimeTest, SaturatingAddAbsorbsInfinityAndOverflow) {
  EXPECT_TRUE(SaturatingAdd(SimTime::Infinite(), SimTime::Nanoseconds(1)).IsInfinite());
  EXPECT_TRUE(SaturatingAdd(SimTime::Seconds(1), SimTime::Infinite()).IsInfinite());
  EXPECT_TRUE(SaturatingAdd(SimTime::Picoseconds(INT64_MAX - 5), SimTime::Picoseconds(10)).IsInfinite());
  EXPECT_EQ(SaturatingAdd(SimTime::Nanoseconds(2), SimTime::Nanoseconds(3)), SimTime::Nanoseconds(5));
}

}  // namespace
}  // namespace strata::sim
