// Issue 18, h18g: the chip level in a plain I/O job
// (DriveSpec.chip_die_interleave), and a DriveSpec given to aif and
// ssd_isc: restating the defaults is the default run (same digest), a
// changed field moves what it bounds by the amount it should, and fields
// that do not apply, or contradict the system's own fields, are refused by
// name.
#include <cstdio>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/coordinator/job/job_runner.h"
#include "tests/job_test_util.h"

namespace strata::coordinator {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<v1::JobResult> TryRun(const std::string& text) {
  auto spec = ParseJobSpecText(text);
  if (!spec.ok()) return spec.status();
  return RunJob(*spec);
}

v1::JobResult MustRun(const std::string& text) {
  auto r = TryRun(text);
  EXPECT_TRUE(r.ok()) << r.status() << "\n" << text;
  return r.ok() ? *r : v1::JobResult{};
}

const v1::ResourceUtilization* Utilization(const v1::JobResult& r, const std::string& resource) {
  for (const v1::ResourceUtilization& u : r.utilization()) {
    if (u.resource() == resource) return &u;
  }
  return nullptr;
}

// 2 channels x 1 chip x 2 dies (AiF's TLC timing, 16 KiB pages), random
// 4 KiB reads at QD 32: the dies, not the channels (2 x 4 KiB at 2 GB/s a
// read) or PCIe, bound the run. Chip-serial leaves one die of each chip
// working: about half the requests.
std::string ChipJob(const char* rule) {
  return absl::StrCat(
      "ssd_io { pattern: RANDOM block_kib: 4 queue_depth: 32 commands: 3000 span_gib: 1 } "
      "system { ssd_offload { drive { channels: 2 chips_per_channel: 1 dies_per_chip: 2 ",
      rule, " } } } simulation { seed: 3 }");
}

TEST(SystemDriveTest, ChipSerialHalvesATwoDieChipsReadsAndReportsChipBusy) {
  const v1::JobResult plain = MustRun(ChipJob(""));
  const v1::JobResult onfi = MustRun(ChipJob("chip_die_interleave: CHIP_DIE_INTERLEAVE_MULTI_LUN"));
  const v1::JobResult serial = MustRun(ChipJob("chip_die_interleave: CHIP_DIE_INTERLEAVE_CHIP_SERIAL"));
  // Multi-LUN is the default: the same run (the result only gains the chips' share).
  EXPECT_EQ(onfi.digest(), plain.digest());
  EXPECT_EQ(Utilization(plain, "flash_chips"), nullptr);
  ASSERT_NE(Utilization(onfi, "flash_chips"), nullptr);
  ASSERT_NE(Utilization(serial, "flash_chips"), nullptr);
  const double ratio = serial.ssd_io().iops() / onfi.ssd_io().iops();
  std::printf("2 ch x 1 chip x 2 dies, 4 KiB QD 32: multi-LUN %.0f IOPS, chip-serial %.0f (%.2f); chips busy %.1f%% / "
              "%.1f%%; mean latency %.1f / %.1f us\n",
              onfi.ssd_io().iops(), serial.ssd_io().iops(), ratio, 100 * Utilization(onfi, "flash_chips")->utilization(),
              100 * Utilization(serial, "flash_chips")->utilization(), onfi.ssd_io().all().mean_us(),
              serial.ssd_io().all().mean_us());
  EXPECT_GT(ratio, 0.45);
  EXPECT_LT(ratio, 0.60);
  // 32 queued reads keep each chip busy either way.
  EXPECT_GT(Utilization(serial, "flash_chips")->utilization(), 0.95);
  auto bad = TryRun(ChipJob("chip_die_interleave: 7"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("system.ssd_offload.drive.chip_die_interleave = 7; allowed: one of"));
}

// NVMe queues through a plain I/O job: 4 pairs of 8 entries serve a QD-32
// flash-bound random read as one pair of 32 does, and the per-queue depth
// holds (half of the 32 wait on the host with 4 x 4 entries).
TEST(SystemDriveTest, NvmeQueuesReachThePlainIoJob) {
  const std::string io =
      "ssd_io { pattern: RANDOM block_kib: 4 queue_depth: 32 commands: 3000 span_gib: 1 } simulation { seed: 3 } "
      "system { ssd_offload { drive { channels: 2 ";
  const v1::JobResult one = MustRun(io + "nvme_queues: 1 nvme_queue_depth: 32 } } }");
  const v1::JobResult four = MustRun(io + "nvme_queues: 4 nvme_queue_depth: 8 nvme_arbitration_burst: 2 } } }");
  const v1::JobResult small = MustRun(io + "nvme_queues: 4 nvme_queue_depth: 4 } } }");
  const v1::JobResult sixteen = MustRun(io + "nvme_queues: 1 nvme_queue_depth: 16 } } }");
  std::printf("QD 32: 1 x 32 %.0f IOPS, 4 x 8 %.0f, 4 x 4 %.0f, 1 x 16 %.0f\n", one.ssd_io().iops(),
              four.ssd_io().iops(), small.ssd_io().iops(), sixteen.ssd_io().iops());
  EXPECT_NEAR(four.ssd_io().iops() / one.ssd_io().iops(), 1.0, 0.03);
  EXPECT_NE(four.digest(), one.digest());
  // 4 x 4 entries hold 16 commands, as one queue of 16 does: fewer than 32.
  EXPECT_NEAR(small.ssd_io().iops() / sixteen.ssd_io().iops(), 1.0, 0.03);
  EXPECT_LT(small.ssd_io().iops(), 0.97 * one.ssd_io().iops());
  auto bad = TryRun(io + "nvme_queues: 300 } } }");
  EXPECT_THAT(bad.status().message(), HasSubstr("system.ssd_offload.drive.nvme_queues = 300; allowed: 1 to 256"));
}

// A 7B-class custom model (940 MB of weights a token): large enough that
// streaming the weights through the flash dominates a decode token.
constexpr const char* kModel =
    R"pb(model { custom { name: "small" layers: 4 hidden: 4096 ffn: 11008 heads: 32 vocab: 32000 } }
         workload { prompt_tokens: 8 decode_tokens: 3 })pb";

std::string Job(const std::string& system) { return absl::StrCat(kModel, " system { ", system, " }"); }

TEST(SystemDriveTest, AifTakesTheDriveSpec) {
  const v1::JobResult base = MustRun(Job("aif {}"));
  // AiF's own drive restated in DriveSpec's terms: the same run.
  const v1::JobResult restated = MustRun(
      Job("aif { drive { channels: 8 chips_per_channel: 2 dies_per_chip: 1 planes_per_die: 4 blocks_per_plane: 1366 "
          "pages_per_block: 768 page_kib: 16 cell_type: CELL_TLC channel_mts: 2000 channel_width_bits: 8 "
          "ecc: DRIVE_ECC_ON_DIE pcie_generation: 4 pcie_lanes: 4 chip_die_interleave: CHIP_DIE_INTERLEAVE_MULTI_LUN "
          "} }"));
  EXPECT_EQ(restated.digest(), base.digest());
  // Half the channels: half the dies stream each GEMV's weights, so the
  // flash-array share of a token doubles (the host and PCIe parts do not).
  const v1::JobResult half = MustRun(Job("aif { drive { channels: 4 } }"));
  const double flash = half.time_per_token_breakdown().flash_array_us() / base.time_per_token_breakdown().flash_array_us();
  std::printf("aif: %.1f tokens/s on 8 channels, %.1f on 4; flash array %.0f -> %.0f us a token (x%.2f)\n",
              base.tokens_per_second(), half.tokens_per_second(), base.time_per_token_breakdown().flash_array_us(),
              half.time_per_token_breakdown().flash_array_us(), flash);
  EXPECT_GT(flash, 1.85);
  EXPECT_LT(flash, 2.05);
  EXPECT_EQ(half.time_per_token_breakdown().pcie_nvme_us(), base.time_per_token_breakdown().pcie_nvme_us());
  // The drive's channels are system.aif.channels: the same run either way.
  EXPECT_EQ(MustRun(Job("aif { channels: 4 }")).digest(), half.digest());
  // A slower PCIe link moves only the PCIe share.
  const v1::JobResult gen3 = MustRun(Job("aif { drive { pcie_generation: 3 } }"));
  EXPECT_GT(gen3.time_per_token_breakdown().pcie_nvme_us(), base.time_per_token_breakdown().pcie_nvme_us());

  auto refused = TryRun(Job("aif { drive { nvme_queues: 2 over_provisioning: 0.1 } }"));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(),
              HasSubstr("system.aif.drive.nvme_queues, over_provisioning are set; allowed: unset (they do not apply "
                        "to aif"));
  auto read_us = TryRun(Job("aif { drive { read_us: [37, 46, 37] } }"));
  EXPECT_THAT(read_us.status().message(), HasSubstr("system.aif.drive.read_us is set; allowed: unset"));
  auto conflict = TryRun(Job("aif { channels: 8 drive { channels: 4 } }"));
  EXPECT_THAT(conflict.status().message(),
              HasSubstr("system.aif.channels = 8 differs from system.aif.drive.channels = 4; allowed: set one of "
                        "them, or both to the same value"));
  auto ldpc = TryRun(Job("aif { drive { ecc: DRIVE_ECC_LDPC } }"));
  EXPECT_THAT(ldpc.status().message(), HasSubstr("system.aif.drive.ecc = 2; allowed: DRIVE_ECC_ON_DIE"));
  auto range = TryRun(Job("aif { drive { channels: 65 } }"));
  EXPECT_THAT(range.status().message(), HasSubstr("system.aif.drive.channels = 65; allowed: 1 to 64"));
}

TEST(SystemDriveTest, SsdIscTakesTheDriveSpec) {
  const v1::JobResult base = MustRun(Job("ssd_isc {}"));
  const v1::JobResult restated =
      MustRun(Job("ssd_isc { drive { channels: 8 chips_per_channel: 1 dies_per_chip: 1 blocks_per_plane: 1366 "
                  "channel_mts: 2400 channel_width_bits: 8 ecc: DRIVE_ECC_ON_DIE } }"));
  EXPECT_EQ(restated.digest(), base.digest());
  // The channels bound this design's FFN: half of them, twice the bus time.
  const v1::JobResult half = MustRun(Job("ssd_isc { drive { channels: 4 } }"));
  const double bus = half.time_per_token_breakdown().flash_bus_us() / base.time_per_token_breakdown().flash_bus_us();
  std::printf("ssd_isc: %.1f tokens/s on 8 channels, %.1f on 4; flash bus %.0f -> %.0f us a token (x%.2f)\n",
              base.tokens_per_second(), half.tokens_per_second(), base.time_per_token_breakdown().flash_bus_us(),
              half.time_per_token_breakdown().flash_bus_us(), bus);
  EXPECT_GT(bus, 1.85);
  EXPECT_LT(bus, 2.05);
  // A 16-bit bus halves the bus time too (a field only the drive carries).
  const v1::JobResult wide = MustRun(Job("ssd_isc { drive { channel_width_bits: 16 } }"));
  const double wide_bus =
      wide.time_per_token_breakdown().flash_bus_us() / base.time_per_token_breakdown().flash_bus_us();
  EXPECT_GT(wide_bus, 0.45);
  EXPECT_LT(wide_bus, 0.55);
  // Two dies a channel given as one chip of two dies: flash.dies_per_channel
  // takes chips_per_channel x dies_per_chip, and the same run results.
  EXPECT_EQ(MustRun(Job("ssd_isc { drive { chips_per_channel: 1 dies_per_chip: 2 } }")).digest(),
            MustRun(Job("ssd_isc { flash { dies_per_channel: 2 } }")).digest());

  auto refused = TryRun(Job("ssd_isc { drive { pcie_lanes: 8 } }"));
  EXPECT_THAT(refused.status().message(),
              HasSubstr("system.ssd_isc.drive.pcie_lanes is set; allowed: unset (it does not apply to ssd_isc"));
  auto conflict = TryRun(Job("ssd_isc { flash { dies_per_channel: 2 } drive { chips_per_channel: 4 } }"));
  EXPECT_THAT(conflict.status().message(),
              HasSubstr("system.ssd_isc.flash.dies_per_channel = 2 differs from system.ssd_isc.drive."
                        "chips_per_channel x dies_per_chip = 4"));
  auto grouping = TryRun(Job("ssd_isc { flash { dies_per_channel: 3 } drive { dies_per_chip: 2 } }"));
  EXPECT_THAT(grouping.status().message(),
              HasSubstr("system.ssd_isc.drive.dies_per_chip = 2; allowed: a divisor of "
                        "system.ssd_isc.flash.dies_per_channel (3)"));
}

}  // namespace
}  // namespace strata::coordinator
