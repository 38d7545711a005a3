// The chip level (NandConfig::chip_interleave): a chip's dies under ONFI
// multi-LUN operation overlap their reads; under MQSim's chip-serial rule
// the chip serves one die's request at a time, so a 2-die chip delivers one
// die's throughput.
#include <gtest/gtest.h>

#include <cstdio>

#include "ssd/ssd_system.h"
#include "strata/sim/engine.h"
#include "tests/ssd_test_util.h"

namespace strata::controller {
namespace {

using testing::MakeSsdBench;

// Random 16 KiB reads at QD 32 over one channel of `chips` chips x
// `dies_per_chip` dies, AiF NAND timing, preconditioned.
SsdSystemConfig ChipReads(uint32_t chips, uint32_t dies_per_chip, nand::ChipInterleave rule) {
  SsdSystemConfig c;
  c.nand.reliability.enabled = false;
  c.nand.geometry.channels = 1;
  c.nand.geometry.dies_per_channel = chips * dies_per_chip;
  c.nand.geometry.dies_per_chip = dies_per_chip;
  c.nand.chip_interleave = rule;
  c.nvme.pcie.generation = 4;
  c.controller.ftl_blocks_per_plane = 32;
  c.controller.ftl.over_provisioning = 0.25;
  const uint64_t pages = uint64_t{chips} * dies_per_chip * 4 * 3 * 768;
  c.precondition_pages = pages;
  c.workload.pattern = AccessPattern::kRandom;
  c.workload.block_bytes = 16384;
  c.workload.queue_depth = 32;
  c.workload.count = 2000;
  c.workload.span_bytes = pages * 16384;
  return c;
}

// One die's ceiling (as in ssd_workload_test.cc): each read holds its die
// for 10 ns of controller link + 7 x 20 ns of command cycles + mean tR 40 us
// (LSB, CSB, MSB 37, 46, 37 us) + ECCLITE 2.56 us + data-out 8.192 us + 10
// ns back. The bus (8.33 us a read) is far from bound with two dies.
double OneDieIops() {
  const double cycle_us = 0.010 + 7 * 0.020 + (37.0 + 46.0 + 37.0) / 3 + 2.56 + 8.192 + 0.010;
  return 1e6 / cycle_us;
}

struct ChipRun {
  double iops = 0;
  double chip_busy_share = 0;
  uint64_t digest = 0;
};

ChipRun RunChips(const SsdSystemConfig& c, int partitions = 1) {
  auto b = MakeSsdBench(c);
  EXPECT_NE(b, nullptr);
  if (b == nullptr) return {};
  sim::RunOptions o;
  o.partitions = partitions;
  absl::StatusOr<sim::RunResult> run = sim::Run(b->sim, o);
  EXPECT_TRUE(run.ok()) << run.status();
  if (!run.ok()) return {};
  const SsdWorkload::Result r = b->ssd.workload->result();
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.commands, c.workload.count);
  ChipRun out;
  out.iops = r.iops;
  out.digest = run->digest;
  const nand::NandChannel& ch = *b->ssd.nand.channels[0];
  sim::SimTime busy;
  for (uint32_t k = 0; k < ch.chips(); ++k) busy += ch.ChipBusy(k, run->final_time);
  out.chip_busy_share = busy.ToSeconds() / (r.elapsed.ToSeconds() * ch.chips());
  return out;
}

TEST(SsdChipTest, ChipSerialTwoDieChipDeliversOneDieMultiLunTwo) {
  const double die = OneDieIops();
  const ChipRun onfi = RunChips(ChipReads(1, 2, nand::ChipInterleave::kMultiLun));
  const ChipRun serial = RunChips(ChipReads(1, 2, nand::ChipInterleave::kChipSerial));
  std::printf("1 chip x 2 dies, QD 32 random 16 KiB reads: one die's ceiling %.0f IOPS; multi-LUN %.0f (%.2f dies), "
              "chip-serial %.0f (%.2f dies); chip busy %.1f%% / %.1f%%\n",
              die, onfi.iops, onfi.iops / die, serial.iops, serial.iops / die, 100 * onfi.chip_busy_share,
              100 * serial.chip_busy_share);
  // Chip-serial: one die at a time, kept busy by 32 queued reads.
  EXPECT_GE(serial.iops, 0.97 * die);
  EXPECT_LE(serial.iops, 1.02 * die);
  // Multi-LUN: both dies (32 random reads over 2 dies leave one idle with
  // probability 2^-31); a die's read command may wait behind the other's
  // data-out on the FIFO bus (33% loaded), so a few % below two dies.
  EXPECT_GE(onfi.iops, 1.85 * die);
  EXPECT_LE(onfi.iops, 2.02 * die);
  // The chip is busy nearly all the time either way (its queue never empties).
  EXPECT_GT(serial.chip_busy_share, 0.97);
  EXPECT_GT(onfi.chip_busy_share, 0.97);
}

// Two chips of two dies: chip-serial gives two dies' throughput (one per
// chip), multi-LUN up to four, less what the FIFO bus (65% loaded by four
// dies) loses to read commands waiting behind data-outs (measured 3.3).
TEST(SsdChipTest, ChipSerialScalesWithChipsNotDies) {
  const double die = OneDieIops();
  const ChipRun onfi = RunChips(ChipReads(2, 2, nand::ChipInterleave::kMultiLun));
  const ChipRun serial = RunChips(ChipReads(2, 2, nand::ChipInterleave::kChipSerial));
  std::printf("2 chips x 2 dies: multi-LUN %.0f IOPS (%.2f dies), chip-serial %.0f (%.2f dies)\n", onfi.iops,
              onfi.iops / die, serial.iops, serial.iops / die);
  EXPECT_GE(serial.iops, 1.85 * die);
  EXPECT_LE(serial.iops, 2.02 * die);
  EXPECT_GE(onfi.iops, 3.0 * die);
  EXPECT_LE(onfi.iops, 4.04 * die);
}

// The default rule with dies grouped into chips is today's drive: the same
// digest as the same dies with one die per chip.
TEST(SsdChipTest, MultiLunChipsKeepTheDigestOfIndependentDies) {
  const ChipRun chips = RunChips(ChipReads(1, 2, nand::ChipInterleave::kMultiLun));
  const ChipRun dies = RunChips(ChipReads(2, 1, nand::ChipInterleave::kMultiLun));
  EXPECT_EQ(chips.digest, dies.digest);
  // A chip of one die has nothing to serialise: chip-serial changes nothing.
  const ChipRun one = RunChips(ChipReads(2, 1, nand::ChipInterleave::kChipSerial));
  EXPECT_EQ(one.digest, dies.digest);
}

TEST(SsdChipTest, ChipSerialRunHasSameDigestOnOneAndTwoPartitions) {
  SsdSystemConfig c = ChipReads(2, 2, nand::ChipInterleave::kChipSerial);
  c.workload.read_fraction = 0.7;  // programs and reads share the chips
  c.workload.count = 800;
  const ChipRun one = RunChips(c, 1);
  const ChipRun two = RunChips(c, 2);
  EXPECT_EQ(one.digest, two.digest);
}

TEST(SsdChipTest, DiesPerChipMustDivideTheChannelsDies) {
  nand::NandConfig c;
  c.geometry.dies_per_channel = 6;
  c.geometry.dies_per_chip = 4;
  const absl::Status s = nand::ValidateNandConfig(c);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(s.message().find("geometry.dies_per_chip = 4; allowed: a divisor of geometry.dies_per_channel (6)"),
            std::string::npos)
      << s;
  c.geometry.dies_per_chip = 0;
  EXPECT_NE(nand::ValidateNandConfig(c).message().find("geometry.dies_per_chip = 0; allowed: 1 to 6"),
            std::string::npos);
  c.geometry.dies_per_chip = 3;
  EXPECT_TRUE(nand::ValidateNandConfig(c).ok());
}

}  // namespace
}  // namespace strata::controller
