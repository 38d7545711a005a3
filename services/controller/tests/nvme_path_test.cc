// One command through the whole NVMe path (host queue -> doorbell -> fetch
// -> decode -> FTL -> channel command -> tR -> ECCLITE -> data-out -> DMA ->
// completion), asserted to the picosecond from the parameters, and the
// per-step breakdown adding up to the end-to-end latency.
//
// Constants (defaults; sources in nvme_interface.h, pcie_link.h,
// nand_config.h, ssd_system.h):
//   PCIe 4.0 x4: 1 wire byte = 8 bit x 130/128 / (4 x 16e9 /s)
//                = 1'040'000 / 8192 ps = 126.953125 ps; a TLP carries
//                <= 256 B payload plus 26 B; one-way latency 250 ns.
//   Host: submit 1 us, memory read 100 ns, interrupt handling 2 us,
//         poll detect 200 ns. Device: decode 500 ns, DMA set-up 200 ns,
//         FTL 500 ns. SQE 64 B, CQE 16 B, doorbell and MSI-X 4 B, PRP entry 8 B.
//   Links: interface <-> controller 20 ns, controller <-> channel 10 ns.
//   NAND (AiF): read command 7 x 20 ns; LSB tR 14 + 2 x 9 + 5 = 37 us;
//         ECCLITE 16384 B / 6.4 GB/s = 2.56 us; 16 KiB on the 2 GB/s
//         channel 8.192 us; program: 7 x 20 ns, data-in 8.192 us, tPROG 500 us.
#include <gtest/gtest.h>

#include <cstdio>

#include "ssd/ssd_system.h"
#include "strata/sim/engine.h"
#include "tests/ssd_test_util.h"

namespace strata::controller {
namespace {

using sim::SimTime;
using testing::kOneWay;
using testing::Ns;
using testing::Us;
using testing::Wire;

SsdSystemConfig SmallSsd() {
  SsdSystemConfig c;
  c.nand.reliability.enabled = false;  // timing only: no random ECC failures
  c.controller.ftl_blocks_per_plane = 32;
  c.controller.ftl.over_provisioning = 0.25;
  c.nvme.record_commands = true;
  return c;
}

using testing::MakeSsdBench;

absl::StatusOr<sim::RunResult> RunIt(sim::Simulation& s, int partitions = 1,
                                     sim::SyncAlgorithm sync = sim::SyncAlgorithm::kWindow) {
  sim::RunOptions o;
  o.partitions = partitions;
  o.sync = sync;
  return sim::Run(s, o);
}

SsdSystemConfig OneCommand(NvmeOpcode op) {
  SsdSystemConfig c = SmallSsd();
  c.workload.pattern = AccessPattern::kSequential;
  c.workload.count = 1;
  c.workload.queue_depth = 1;
  c.workload.block_bytes = 16384;
  c.workload.read_fraction = op == NvmeOpcode::kRead ? 1.0 : 0.0;
  c.precondition_pages = op == NvmeOpcode::kRead ? 1 : 0;
  return c;
}

void PrintBreakdown(const char* title, const NvmeInterface::CommandRecord& r) {
  std::printf("%s: %s end to end\n", title, r.latency().ToString().c_str());
  for (int i = 0; i < kNvmeSteps; ++i) {
    std::printf("  %-14s %12.3f ns\n", std::string(NvmeStepName(static_cast<NvmeStep>(i))).c_str(),
                r.steps[i].ToNanoseconds());
  }
}

// Expected steps of one 16 KiB command with nothing else running.
std::array<SimTime, kNvmeSteps> ExpectedSteps(NvmeOpcode op, CompletionMode mode) {
  std::array<SimTime, kNvmeSteps> e{};
  e[kStepSqWait] = SimTime::Zero();
  e[kStepHostSubmit] = Us(1);
  e[kStepDoorbell] = Wire(4) + kOneWay;
  e[kStepFetch] = Wire(0) + kOneWay + Ns(100) + Wire(64) + kOneWay;
  e[kStepDecode] = Ns(500);
  e[kStepBackendLink] = Ns(20) * 2;
  e[kStepFtl] = Ns(500);
  // 16 KiB = 4 memory pages > 2: PRP2 points to a list of 3 entries.
  e[kStepDmaSetup] = Ns(200) + Wire(0) + kOneWay + Ns(100) + Wire(3 * 8) + kOneWay;
  if (op == NvmeOpcode::kRead) {
    e[kStepFlash] = Ns(10) + Ns(7 * 20) + Us(14 + 2 * 9 + 5) + Ns(2560) + Ns(8192) + Ns(10);
    e[kStepDmaTransfer] = Wire(16384) + kOneWay;  // posted writes upstream
  } else {
    e[kStepFlash] = Ns(10) + Ns(7 * 20) + Ns(8192) + Us(500) + Ns(10);
    e[kStepDmaTransfer] = Wire(0) + kOneWay + Ns(100) + Wire(16384) + kOneWay;  // MRd, then completions
  }
  e[kStepCqe] = Wire(16) + kOneWay;
  if (mode == CompletionMode::kInterrupt) {
    e[kStepNotify] = Wire(4) + kOneWay;
    e[kStepHostComplete] = Us(2);
  } else {
    e[kStepNotify] = SimTime::Zero();
    e[kStepHostComplete] = Ns(200);
  }
  return e;
}

TEST(NvmePathTest, OneReadThroughTheFullPathToThePicosecond) {
  auto b = MakeSsdBench(OneCommand(NvmeOpcode::kRead));
  ASSERT_NE(b, nullptr);
  // The preconditioned page: unit 0 = channel 0, die 0, plane 0; page 0 (LSB).
  ASSERT_TRUE(b->ssd.controller->ftl().Lookup(0).has_value());
  ASSERT_EQ(b->ssd.controller->ftl().Lookup(0)->plane, 0u);
  ASSERT_EQ(b->ssd.controller->ftl().Lookup(0)->page, 0u);
  ASSERT_TRUE(RunIt(b->sim).ok());
  ASSERT_EQ(b->ssd.nvme->records().size(), 1u);
  const auto& r = b->ssd.nvme->records()[0];
  PrintBreakdown("16 KiB read, interrupt", r);
  const auto e = ExpectedSteps(NvmeOpcode::kRead, CompletionMode::kInterrupt);
  SimTime total;
  for (int i = 0; i < kNvmeSteps; ++i) {
    EXPECT_EQ(r.steps[i], e[i]) << NvmeStepName(static_cast<NvmeStep>(i));
    total += e[i];
  }
  EXPECT_EQ(r.latency(), total);
  EXPECT_EQ(r.status, NvmeStatus::kSuccess);
  // The host sees the same latency.
  const SsdWorkload::Result w = b->ssd.workload->result();
  EXPECT_EQ(w.all.p50, total);
  EXPECT_EQ(b->ssd.nand.dies[0][0]->stats().pages_read, 1u);
  // The statistics report the same figures.
  std::vector<sim::Statistic> stats;
  b->ssd.nvme->CollectStatistics(&stats);
  auto find = [&](const std::string& n) {
    for (const auto& s : stats) {
      if (s.name == n) return s.value;
    }
    return -1.0;
  };
  EXPECT_DOUBLE_EQ(find("nvme.read_commands"), 1.0);
  EXPECT_DOUBLE_EQ(find("nvme.read_latency_mean"), total.ToSeconds());
  EXPECT_DOUBLE_EQ(find("nvme.read_step_flash_mean"), e[kStepFlash].ToSeconds());
  EXPECT_DOUBLE_EQ(find("nvme.sq_occupancy_max"), 1.0);
  // Upstream wire bytes: SQE-fetch MRd, PRP-list MRd, 16 KiB data, CQE, MSI-X.
  EXPECT_DOUBLE_EQ(find("nvme.pcie_up_wire_bytes"), 26 + 26 + (16384 + 64 * 26) + (16 + 26) + (4 + 26));
}

TEST(NvmePathTest, StepBreakdownAddsUpToEndToEndLatency) {
  for (NvmeOpcode op : {NvmeOpcode::kRead, NvmeOpcode::kWrite}) {
    for (CompletionMode mode : {CompletionMode::kInterrupt, CompletionMode::kPolling}) {
      SsdSystemConfig c = OneCommand(op);
      c.nvme.completion = mode;
      auto b = MakeSsdBench(c);
      ASSERT_NE(b, nullptr);
      ASSERT_TRUE(RunIt(b->sim).ok());
      ASSERT_EQ(b->ssd.nvme->records().size(), 1u);
      const auto& r = b->ssd.nvme->records()[0];
      SimTime sum;
      for (SimTime t : r.steps) sum += t;
      EXPECT_EQ(sum, r.latency());
      const auto e = ExpectedSteps(op, mode);
      for (int i = 0; i < kNvmeSteps; ++i) {
        EXPECT_EQ(r.steps[i], e[i]) << NvmeStepName(static_cast<NvmeStep>(i)) << " op "
                                    << static_cast<int>(op) << " mode " << static_cast<int>(mode);
      }
      if (op == NvmeOpcode::kWrite && mode == CompletionMode::kInterrupt) PrintBreakdown("16 KiB write, interrupt", r);
    }
  }
}

// Polling saves the MSI-X write and the interrupt path, and pays poll detection.
TEST(NvmePathTest, PollingSavesInterruptDeliveryAndHandling) {
  SimTime lat[2];
  for (CompletionMode mode : {CompletionMode::kInterrupt, CompletionMode::kPolling}) {
    SsdSystemConfig c = OneCommand(NvmeOpcode::kRead);
    c.nvme.completion = mode;
    auto b = MakeSsdBench(c);
    ASSERT_TRUE(RunIt(b->sim).ok());
    lat[static_cast<int>(mode)] = b->ssd.nvme->records()[0].latency();
  }
  EXPECT_EQ(lat[0] - lat[1], Wire(4) + kOneWay + Us(2) - Ns(200));
}

// A 4 KiB read fits PRP1: no PRP list fetch; the flash still reads and
// transfers the whole 16 KiB page.
// A 4 KiB read senses the whole 16 KiB page (tR) but moves and decodes only
// its 4 KiB (ONFI: the READ command's column address starts the data-out
// there; the controller clocks out 4 codewords and stops): ECCLITE 4096 B /
// 6.4 GB/s = 640 ns, the channel 4096 B / 2 GB/s = 2.048 us, and no
// command cycles beyond the READ's 7.
TEST(NvmePathTest, FourKibReadNeedsNoPrpListAndMovesOnlyItsBytes) {
  SsdSystemConfig c = OneCommand(NvmeOpcode::kRead);
  c.workload.block_bytes = 4096;
  auto b = MakeSsdBench(c);
  ASSERT_TRUE(RunIt(b->sim).ok());
  const auto& r = b->ssd.nvme->records()[0];
  EXPECT_EQ(r.steps[kStepDmaSetup], Ns(200));
  EXPECT_EQ(r.steps[kStepDmaTransfer], Wire(4096) + kOneWay);
  EXPECT_EQ(r.steps[kStepFlash], Ns(10) + Ns(7 * 20) + Us(37) + Ns(640) + Ns(2048) + Ns(10));
  EXPECT_EQ(b->ssd.nand.channels[0]->stats().bytes_out, 4096u);
}

// With 512 B LBAs and 2 KiB codewords, 1.5 KiB from byte 1536 of the page
// straddle codewords 0 and 1: both (4 KiB) cross the channel (2.048 us)
// and are decoded (640 ns), not the one codeword 1.5 KiB would round to.
TEST(NvmePathTest, AnUnalignedPartialReadMovesTheCodewordsItTouches) {
  SsdSystemConfig c = OneCommand(NvmeOpcode::kRead);
  c.nand.ecc.codeword_bytes = 2048;
  c.nvme.lba_bytes = 512;
  c.controller.lba_bytes = 512;
  c.workload.lba_bytes = 512;
  c.workload.block_bytes = 1536;
  c.workload.offset_bytes = 1536;
  auto b = MakeSsdBench(c);
  ASSERT_TRUE(RunIt(b->sim).ok());
  const auto& r = b->ssd.nvme->records()[0];
  EXPECT_EQ(r.steps[kStepFlash], Ns(10) + Ns(7 * 20) + Us(37) + Ns(640) + Ns(2048) + Ns(10));
  EXPECT_EQ(b->ssd.nand.channels[0]->stats().bytes_out, 4096u);
}

TEST(NvmePathTest, ReadOfUnwrittenLbaReturnsWithoutFlashAccess) {
  SsdSystemConfig c = OneCommand(NvmeOpcode::kRead);
  c.precondition_pages = 0;
  auto b = MakeSsdBench(c);
  ASSERT_TRUE(RunIt(b->sim).ok());
  EXPECT_EQ(b->ssd.nvme->records()[0].steps[kStepFlash], SimTime::Zero());
  EXPECT_EQ(b->ssd.controller->stats().unmapped_reads, 1u);
  EXPECT_EQ(b->ssd.nand.channels[0]->stats().requests, 0u);
}

TEST(NvmePathTest, OutOfRangeLbaCompletesWithErrorAndNoData) {
  SsdSystemConfig c = OneCommand(NvmeOpcode::kRead);
  auto probe = MakeSsdBench(c);
  ASSERT_NE(probe, nullptr);
  const uint64_t lbas = probe->ssd.controller->logical_lbas();
  c.workload.offset_bytes = lbas * 4096;  // one past the end
  auto b = MakeSsdBench(c);
  ASSERT_TRUE(RunIt(b->sim).ok());
  const auto& r = b->ssd.nvme->records()[0];
  EXPECT_EQ(r.status, NvmeStatus::kLbaOutOfRange);
  EXPECT_EQ(r.steps[kStepDmaTransfer], SimTime::Zero());
  EXPECT_EQ(b->ssd.workload->result().errors, 1u);
}

TEST(NvmePathTest, SubmissionsBeyondQueueDepthWaitOnTheHost) {
  SsdSystemConfig c = SmallSsd();
  c.nvme.sq_depth = 4;
  c.workload.queue_depth = 8;
  c.workload.count = 8;
  c.precondition_pages = 64;
  c.workload.span_bytes = 64 * 16384;
  auto b = MakeSsdBench(c);
  ASSERT_TRUE(RunIt(b->sim).ok());
  EXPECT_EQ(b->ssd.nvme->stats().sq_max, 4u);
  EXPECT_EQ(b->ssd.nvme->stats().host_waiters_max, 4u);
  int waited = 0;
  for (const auto& r : b->ssd.nvme->records()) waited += r.steps[kStepSqWait] > SimTime::Zero();
  EXPECT_EQ(waited, 4);
}

TEST(NvmePathTest, MismatchedLbaSizesAreRejected) {
  SsdSystemConfig c = SmallSsd();
  c.controller.lba_bytes = 512;
  sim::Simulation s;
  absl::StatusOr<SsdSystem> ssd = BuildSsd(c, &s);
  ASSERT_TRUE(absl::IsInvalidArgument(ssd.status()));
  EXPECT_NE(ssd.status().message().find("controller.lba_bytes = 512"), std::string::npos);
  c = SmallSsd();
  c.nvme.sq_depth = 1;
  EXPECT_EQ(BuildSsd(c, &s).status().message(), "nvme.sq_depth = 1: allowed 2..65536");
  c = SmallSsd();
  c.workload.block_bytes = 1000;
  EXPECT_NE(BuildSsd(c, &s).status().message().find("workload.block_bytes = 1000"), std::string::npos);
}

// Mixed random I/O with GC on 1 and 2 partitions, both sync algorithms.
TEST(NvmePathTest, SameDigestOnOneAndTwoPartitions) {
  auto config = [] {
    SsdSystemConfig c = SmallSsd();
    c.nvme.record_commands = false;
    c.workload.pattern = AccessPattern::kRandom;
    c.workload.read_fraction = 0.7;
    c.workload.queue_depth = 16;
    c.workload.count = 1500;
    c.workload.span_bytes = 512ull * 16384;
    c.precondition_pages = 512;
    return c;
  };
  uint64_t digest = 0;
  SsdWorkload::Result first;
  for (int parts : {1, 2}) {
    for (sim::SyncAlgorithm sync : {sim::SyncAlgorithm::kWindow, sim::SyncAlgorithm::kNullMessage}) {
      auto b = MakeSsdBench(config());
      ASSERT_NE(b, nullptr);
      absl::StatusOr<sim::RunResult> r = RunIt(b->sim, parts, sync);
      ASSERT_TRUE(r.ok()) << r.status();
      if (digest == 0) {
        digest = r->digest;
        first = b->ssd.workload->result();
        EXPECT_EQ(first.commands, 1500u);
      } else {
        EXPECT_EQ(r->digest, digest) << parts << " partitions, " << sim::SyncAlgorithmName(sync);
        EXPECT_EQ(b->ssd.workload->result().all.p99, first.all.p99);
      }
    }
  }
}

}  // namespace
}  // namespace strata::controller
