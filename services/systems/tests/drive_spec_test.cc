// DriveSpec (job.proto, issue 18): an unset drive is today's drive field for
// field; each field lands in the model config it names; the rules beyond a
// range give errors naming the field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "services/systems/core/drive_spec.h"
#include "services/systems/job/job_spec.h"
#include "services/systems/ssd_offload/ssd_offload_system.h"

namespace strata::systems {
namespace {

using ::testing::HasSubstr;
using sim::SimTime;

v1::DriveSpec Normalized(const v1::DriveSpec& in = {}) {
  v1::DriveSpec d = in;
  const absl::Status s = NormalizeDrive("drive", &d);
  EXPECT_TRUE(s.ok()) << s;
  return d;
}

TEST(DriveSpecTest, AnUnsetDriveIsTodaysDriveExactly) {
  const v1::DriveSpec d = Normalized();
  EXPECT_EQ(d.channels(), 8);
  EXPECT_EQ(d.pages_per_block(), 768);
  nand::NandConfig n = nand::AifDefaultNandConfig();
  ApplyDriveToNand(d, &n);
  const nand::NandConfig want = nand::AifDefaultNandConfig();
  EXPECT_EQ(n.geometry.channels, want.geometry.channels);
  EXPECT_EQ(n.geometry.dies_per_channel, want.geometry.dies_per_channel);
  EXPECT_EQ(n.geometry.planes_per_die, want.geometry.planes_per_die);
  EXPECT_EQ(n.geometry.blocks_per_plane, want.geometry.blocks_per_plane);
  EXPECT_EQ(n.geometry.wordlines_per_block, want.geometry.wordlines_per_block);
  EXPECT_EQ(n.geometry.bits_per_cell, want.geometry.bits_per_cell);
  EXPECT_EQ(n.geometry.page_bytes, want.geometry.page_bytes);
  EXPECT_EQ(n.timing.program, want.timing.program);
  EXPECT_EQ(n.timing.erase, want.timing.erase);
  EXPECT_EQ(n.timing.program_suspend, want.timing.program_suspend);
  EXPECT_EQ(n.timing.erase_suspend, want.timing.erase_suspend);
  EXPECT_EQ(n.timing.suspend_resume, want.timing.suspend_resume);
  EXPECT_EQ(n.timing.read_by_page_type, want.timing.read_by_page_type);
  EXPECT_EQ(n.timing.program_by_page_type, want.timing.program_by_page_type);
  EXPECT_EQ(n.bus.mega_transfers_per_s, want.bus.mega_transfers_per_s);
  EXPECT_EQ(n.bus.bus_width_bytes, want.bus.bus_width_bytes);
  EXPECT_EQ(n.ecc.kind, want.ecc.kind);

  controller::NvmeConfig nvme;
  ApplyDriveToNvme(d, &nvme);
  const controller::NvmeConfig nvme_want;
  EXPECT_EQ(nvme.pcie.generation, nvme_want.pcie.generation);
  EXPECT_EQ(nvme.pcie.lanes, nvme_want.pcie.lanes);
  EXPECT_EQ(nvme.pcie.max_payload_bytes, nvme_want.pcie.max_payload_bytes);
  EXPECT_EQ(nvme.sq_depth, nvme_want.sq_depth);
  EXPECT_EQ(nvme.host_submit, nvme_want.host_submit);
  EXPECT_EQ(nvme.completion, nvme_want.completion);
  EXPECT_EQ(nvme.interrupt_handling, nvme_want.interrupt_handling);
  EXPECT_EQ(nvme.poll_detect, nvme_want.poll_detect);

  controller::SsdControllerConfig c;
  ApplyDriveToController(d, &c);
  const controller::SsdControllerConfig c_want;
  EXPECT_EQ(c.ftl_per_command, c_want.ftl_per_command);
  EXPECT_EQ(c.ftl.over_provisioning, c_want.ftl.over_provisioning);
  EXPECT_EQ(c.ftl.gc_policy, c_want.ftl.gc_policy);
  EXPECT_EQ(c.ftl.gc_free_block_threshold, c_want.ftl.gc_free_block_threshold);
}

TEST(DriveSpecTest, EveryFieldReachesItsModel) {
  v1::DriveSpec in;
  in.set_channels(4);
  in.set_chips_per_channel(4);
  in.set_dies_per_chip(2);
  in.set_planes_per_die(2);
  in.set_blocks_per_plane(512);
  in.set_pages_per_block(256);
  in.set_page_kib(8);
  in.set_cell_type(v1::CELL_MLC);
  in.add_read_us(50);
  in.add_read_us(75);
  in.add_program_us(500);
  in.add_program_us(1500);
  in.set_erase_us(3800);
  in.set_program_suspend_us(100);
  in.set_erase_suspend_us(700);
  in.set_suspend_resume_us(3);
  in.set_channel_mts(333);
  in.set_channel_width_bits(16);
  in.set_ecc(v1::DRIVE_ECC_LDPC);
  in.set_pcie_generation(3);
  in.set_pcie_lanes(8);
  in.set_pcie_max_payload_bytes(512);
  in.set_nvme_queues(4);
  in.set_nvme_queue_depth(64);
  in.set_nvme_arbitration_burst(8);
  in.set_host_submit_us(3);
  in.set_completion(v1::HOST_COMPLETION_POLLING);
  in.set_interrupt_us(4);
  in.set_poll_detect_us(0.5);
  in.set_firmware_per_command_us(1.5);
  in.set_over_provisioning(0.2);
  in.set_gc_policy(v1::GC_POLICY_COST_BENEFIT);
  in.set_gc_free_blocks(5);
  const v1::DriveSpec d = Normalized(in);
  nand::NandConfig n = nand::AifDefaultNandConfig();
  ApplyDriveToNand(d, &n);
  EXPECT_EQ(n.geometry.channels, 4u);
  EXPECT_EQ(n.geometry.dies_per_channel, 8u);  // 4 chips x 2 dies share the channel
  EXPECT_EQ(n.geometry.planes_per_die, 2u);
  EXPECT_EQ(n.geometry.blocks_per_plane, 512u);
  EXPECT_EQ(n.geometry.bits_per_cell, 2u);
  EXPECT_EQ(n.geometry.pages_per_block(), 256u);
  EXPECT_EQ(n.geometry.page_bytes, 8192u);
  EXPECT_EQ(n.timing.read_by_page_type[0], SimTime::Microseconds(50));
  EXPECT_EQ(n.timing.read_by_page_type[1], SimTime::Microseconds(75));
  EXPECT_EQ(n.timing.program_by_page_type[1], SimTime::Microseconds(1500));
  EXPECT_EQ(n.timing.erase, SimTime::Microseconds(3800));
  EXPECT_EQ(n.timing.program_suspend, SimTime::Microseconds(100));
  EXPECT_EQ(n.timing.erase_suspend, SimTime::Microseconds(700));
  EXPECT_EQ(n.timing.suspend_resume, SimTime::Microseconds(3));
  EXPECT_EQ(n.bus.mega_transfers_per_s, 333u);
  EXPECT_EQ(n.bus.bus_width_bytes, 2u);
  EXPECT_EQ(n.ecc.kind, nand::EccKind::kLdpc);
  EXPECT_TRUE(nand::ValidateNandConfig(n).ok());
  controller::NvmeConfig nvme;
  ApplyDriveToNvme(d, &nvme);
  EXPECT_EQ(nvme.pcie.generation, 3u);
  EXPECT_EQ(nvme.pcie.lanes, 8u);
  EXPECT_EQ(nvme.pcie.max_payload_bytes, 512u);
  EXPECT_EQ(nvme.sq_depth, 64u);
  EXPECT_EQ(nvme.queues, 4u);
  EXPECT_EQ(nvme.arbitration_burst, 8u);
  EXPECT_EQ(nvme.host_submit, SimTime::Microseconds(3));
  EXPECT_EQ(nvme.completion, controller::CompletionMode::kPolling);
  EXPECT_EQ(nvme.interrupt_handling, SimTime::Microseconds(4));
  EXPECT_EQ(nvme.poll_detect, SimTime::Nanoseconds(500));
  controller::SsdControllerConfig c;
  ApplyDriveToController(d, &c);
  EXPECT_EQ(c.ftl_per_command, SimTime::Nanoseconds(1500));
  EXPECT_EQ(c.ftl.over_provisioning, 0.2);
  EXPECT_EQ(c.ftl.gc_policy, controller::GcPolicy::kCostBenefit);
  EXPECT_EQ(c.ftl.gc_free_block_threshold, 5u);
}

absl::Status NormalizeWith(void (*edit)(v1::DriveSpec*)) {
  v1::DriveSpec d;
  edit(&d);
  return NormalizeDrive("system.ssd_offload.drive", &d);
}

TEST(DriveSpecTest, RulesBeyondARangeNameTheField) {
  EXPECT_THAT(NormalizeWith([](v1::DriveSpec* d) { d->set_cell_type(v1::CELL_MLC); d->set_pages_per_block(255); })
                  .message(),
              HasSubstr("system.ssd_offload.drive.pages_per_block = 255; allowed: 1 to 16384, a multiple of 2"));
  EXPECT_THAT(NormalizeWith([](v1::DriveSpec* d) { d->add_read_us(50); }).message(),
              HasSubstr("system.ssd_offload.drive.read_us has 1 entries; allowed: none, or 3"));
  EXPECT_THAT(NormalizeWith([](v1::DriveSpec* d) {
                d->add_program_us(500);
                d->add_program_us(-1);
                d->add_program_us(500);
              }).message(),
              HasSubstr("system.ssd_offload.drive.program_us[1] = -1; allowed: 1e-3 to 1e5 us"));
  EXPECT_THAT(NormalizeWith([](v1::DriveSpec* d) { d->set_page_kib(6); }).message(),
              HasSubstr("drive.page_kib = 6; allowed: 4 to 64, a multiple of 4"));
  EXPECT_THAT(NormalizeWith([](v1::DriveSpec* d) { d->set_channel_width_bits(12); }).message(),
              HasSubstr("drive.channel_width_bits = 12; allowed: 8 or 16"));
  EXPECT_THAT(NormalizeWith([](v1::DriveSpec* d) { d->set_pcie_lanes(3); }).message(),
              HasSubstr("drive.pcie_lanes = 3; allowed: 1, 2, 4, 8, 16"));
  EXPECT_THAT(NormalizeWith([](v1::DriveSpec* d) { d->set_pcie_max_payload_bytes(300); }).message(),
              HasSubstr("drive.pcie_max_payload_bytes = 300; allowed: a power of two, 128 to 4096"));
  EXPECT_THAT(NormalizeWith([](v1::DriveSpec* d) { d->set_nvme_queues(300); }).message(),
              HasSubstr("system.ssd_offload.drive.nvme_queues = 300; allowed: 1 to 256"));
  EXPECT_THAT(NormalizeWith([](v1::DriveSpec* d) { d->set_nvme_queues(256); d->set_nvme_queue_depth(2048); }).message(),
              HasSubstr("drive.nvme_queues x nvme_queue_depth = 524288; allowed: at most 262144"));
  EXPECT_THAT(NormalizeWith([](v1::DriveSpec* d) { d->set_nvme_arbitration_burst(3); }).message(),
              HasSubstr("system.ssd_offload.drive.nvme_arbitration_burst = 3; allowed: a power of two, 1 to 128"));
  EXPECT_THAT(NormalizeWith([](v1::DriveSpec* d) { d->set_chips_per_channel(8); d->set_dies_per_chip(4); }).message(),
              HasSubstr("drive.chips_per_channel x dies_per_chip = 32; allowed: at most 16"));
  EXPECT_THAT(NormalizeWith([](v1::DriveSpec* d) { d->set_channels(65); }).message(),
              HasSubstr("system.ssd_offload.drive.channels = 65; allowed: 1 to 64"));
}

// Through the job path: the drive of a plain I/O job is normalised into
// the spec, and ssd_io.over_provisioning and the drive's must agree.
TEST(DriveSpecTest, PlainIoJobsCarryTheNormalisedDrive) {
  auto spec = ParseJobSpecText("ssd_io { commands: 10 } system { ssd_offload { drive { channels: 2 } } }");
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto normalized = NormalizeJobSpec(*spec);
  ASSERT_TRUE(normalized.ok()) << normalized.status();
  EXPECT_EQ(normalized->system().ssd_offload().drive().channels(), 2);
  EXPECT_EQ(normalized->system().ssd_offload().drive().chips_per_channel(), 2);
  EXPECT_EQ(normalized->system().ssd_offload().drive().over_provisioning(), 0.07);
  auto both = ParseJobSpecText(
      "ssd_io { commands: 10 over_provisioning: 0.1 } system { ssd_offload { drive { over_provisioning: 0.2 } } }");
  ASSERT_TRUE(both.ok());
  EXPECT_THAT(NormalizeJobSpec(*both).status().message(),
              HasSubstr("ssd_io.over_provisioning = 0.1 differs from system.ssd_offload.drive.over_provisioning = 0.2"));
  auto bad = ParseJobSpecText("ssd_io { commands: 10 } system { ssd_offload { drive { erase_us: -3 } } }");
  ASSERT_TRUE(bad.ok());
  EXPECT_THAT(NormalizeJobSpec(*bad).status().message(),
              HasSubstr("system.ssd_offload.drive.erase_us = -3; allowed: 0.001 to 100000"));
}

}  // namespace
}  // namespace strata::systems
