// AiF's vendor commands (aif_post, aif_gemv) through the whole path, against
// hand arithmetic.
//
// Constants (defaults; sources in nvme_interface.h, pcie_link.h,
// nand_config.h, aif_ssd.h):
//   PCIe 4.0 x4: 1 wire byte = 1'040'000 / 8192 ps; <= 256 B per TLP + 26 B;
//         one-way latency 250 ns.
//   Host: submit 1 us, memory read 100 ns, interrupt handling 2 us.
//   Device: decode 500 ns, firmware 500 ns, DMA set-up 200 ns, reduce
//         4 GB/s, controller <-> channel link 10 ns.
//   NAND (AiF, 8 ch x 2 dies x 4 planes): command 7 x 20 ns; be-enc LSB tR
//         14 + 9 + 5 = 28 us, cr-read 0.7 + 9 = 9.7 us; ECCLITE and PE
//         16384 B / 6.4 GB/s = 512 cycles / 200 MHz = 2.56 us per page;
//         channel 2 GB/s; tPROG 500 us.
#include <gtest/gtest.h>

#include <cstdio>

#include "aif/aif_ssd.h"
#include "strata/sim/engine.h"
#include "tests/ssd_test_util.h"

namespace strata::controller {
namespace {

using sim::SimTime;
using testing::kOneWay;
using testing::Ns;
using testing::Us;
using testing::Wire;

SimTime Channel(uint64_t bytes) { return sim::TransferTime(bytes, 2'000'000'000); }
const SimTime kCmd = Ns(7 * 20);

AifSsdConfig Aif(bool aif = true, uint32_t blocks = 4) {
  AifSsdConfig c;
  c.nand.reliability.enabled = false;  // timing only
  c.nand.geometry.blocks_per_plane = blocks;
  c.nand.timing.cr_read = aif;
  c.be_enc = aif;
  return c;
}

struct Bench {
  sim::Simulation sim;
  AifSystem sys;
};

std::unique_ptr<Bench> Make(const AifSsdConfig& c, std::vector<AifSubmit> script) {
  auto b = std::make_unique<Bench>();
  absl::StatusOr<AifSystem> sys = BuildAifSsd(c, std::move(script), &b->sim);
  EXPECT_TRUE(sys.ok()) << sys.status();
  if (!sys.ok()) return nullptr;
  b->sys = *sys;
  return b;
}


SimTime StepSum(const AifSsd::CommandRecord& r) {
  SimTime sum;
  for (SimTime t : r.steps) sum += t;
  return sum;
}

void Print(const AifSsd::CommandRecord& r) {
  std::printf("%s cid %llu: %.3f us =", r.opcode == AifOpcode::kPost ? "aif_post" : "aif_gemv",
              static_cast<unsigned long long>(r.cid), r.latency().ToSeconds() * 1e6);
  for (uint32_t s = 0; s < kAifSteps; ++s) {
    if (r.steps[s] > SimTime::Zero()) {
      std::printf(" %s %.3f", std::string(AifStepName(static_cast<AifStep>(s))).c_str(),
                  r.steps[s].ToSeconds() * 1e6);
    }
  }
  std::printf(" (us)\n");
}

// Front half common to both commands: submit, doorbell, SQE fetch, decode.
SimTime Front() {
  return Us(1) + (Wire(4) + kOneWay) + (Wire(0) + kOneWay + Ns(100) + Wire(64) + kOneWay) + Ns(500);
}
// Back half: CQE, MSI-X, interrupt handling.
SimTime Back() { return (Wire(16) + kOneWay) + (Wire(4) + kOneWay) + Us(2); }

// A 64 x 4096 INT8 matrix: 4 rows (16 KiB, one LSB page on plane 0 of
// block 0) per die, 16 dies.
TEST(AifCommandsTest, SmallGemvThroughTheFullPathToThePicosecond) {
  auto b = Make(Aif(), {AifPostCommand(64, 4096), AifGemvCommand(0)});
  ASSERT_NE(b, nullptr);
  absl::StatusOr<sim::RunResult> run = sim::Run(b->sim, sim::RunOptions{});
  ASSERT_TRUE(run.ok()) << run.status();
  const auto& recs = b->sys.ssd->records();
  ASSERT_EQ(recs.size(), 2u);
  const auto& post = recs[0];
  const auto& gemv = recs[1];
  ASSERT_EQ(post.status, AifStatus::kSuccess);
  ASSERT_EQ(gemv.status, AifStatus::kSuccess);
  EXPECT_EQ(b->sys.host->done()[0].completion.matrix, 0u);
  const auto& m = b->sys.ssd->matrices()[0];
  ASSERT_EQ(m.extents.size(), 16u);
  for (const auto& x : m.extents) {
    EXPECT_EQ(x.rows, 4u);
    EXPECT_EQ(x.steps, 1u);
    EXPECT_EQ(x.planes, 1u);
    EXPECT_EQ(x.block, 0u);
  }
  Print(post);
  Print(gemv);

  // Steps of the GEMV, one by one.
  const auto& s = gemv.steps;
  EXPECT_EQ(s[kAifSqWait], SimTime::Zero());
  EXPECT_EQ(s[kAifHostSubmit], Us(1));
  EXPECT_EQ(s[kAifDoorbell], Wire(4) + kOneWay);
  EXPECT_EQ(s[kAifFetch], Wire(0) + kOneWay + Ns(100) + Wire(64) + kOneWay);
  EXPECT_EQ(s[kAifDecode], Ns(500));
  EXPECT_EQ(s[kAifFirmware], Ns(500));
  EXPECT_EQ(s[kAifDmaSetup], Ns(200));  // 4 KiB in, 256 B out: no PRP list
  EXPECT_EQ(s[kAifVectorIn], Wire(0) + kOneWay + Ns(100) + Wire(4096) + kOneWay);
  // Two dies per channel, each: program-style command + 4096 B at 2 GB/s.
  EXPECT_EQ(s[kAifVectorLoad], (kCmd + Ns(2048)) * 2);
  EXPECT_EQ(s[kAifPlace], SimTime::Zero());
  // Die 1 of each channel waits for die 0's command cycles; be-enc LSB tR
  // 28 us (first wordline: no cr-read); ECCLITE and PE overlap (2.56 us);
  // 4 rows x 4 B of partial sums on the channel; link both ways.
  EXPECT_EQ(s[kAifFlash], Ns(10) + kCmd * 2 + Us(28) + Us(2.56) + Channel(16) + Ns(10));
  EXPECT_EQ(gemv.partial_sum_bytes, 64u * 4);
  EXPECT_EQ(s[kAifReduce], Ns(64));  // 256 B / 4 GB/s
  EXPECT_EQ(s[kAifDmaOut], Wire(256) + kOneWay);
  EXPECT_EQ(s[kAifCqe], Wire(16) + kOneWay);
  EXPECT_EQ(s[kAifNotify], Wire(4) + kOneWay);
  EXPECT_EQ(s[kAifHostComplete], Us(2));
  EXPECT_EQ(gemv.nand_requests, 16u);

  // End to end, from the arithmetic alone.
  const SimTime expected = Front() + Ns(500) + Ns(200) + (Wire(0) + kOneWay + Ns(100) + Wire(4096) + kOneWay) +
                           (kCmd + Ns(2048)) * 2 +
                           (Ns(10) + kCmd * 2 + Us(28) + Us(2.56) + Channel(16) + Ns(10)) + Ns(64) +
                           (Wire(256) + kOneWay) + Back();
  EXPECT_EQ(gemv.latency(), expected);
  // The host saw the same latency.
  const auto& host = b->sys.host->done()[1];
  EXPECT_EQ(host.completed - host.submitted, expected);
}

// The control-plane breakdown: for posts and GEMVs of several
// shapes (with PRP lists, several blocks per die, idle dies), the named
// steps add up exactly to each command's end-to-end latency.
TEST(AifCommandsTest, ControlPlaneBreakdownAddsUpToLatency) {
  auto b = Make(Aif(true, 8), {AifPostCommand(64, 4096), AifPostCommand(8192, 28672), AifPostCommand(28672, 8192), AifPostCommand(3, 100),
                               AifPostCommand(65536, 16384), AifGemvCommand(0), AifGemvCommand(1), AifGemvCommand(2), AifGemvCommand(3), AifGemvCommand(4), AifGemvCommand(1)});
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(sim::Run(b->sim, sim::RunOptions{}).ok());
  const auto& recs = b->sys.ssd->records();
  ASSERT_EQ(recs.size(), 11u);
  // 4096 rows per die, 1024 rows of 16 KiB per block group: 4 blocks per die.
  EXPECT_EQ(b->sys.ssd->matrices()[4].extents.size(), 64u);
  for (const auto& r : recs) {
    EXPECT_EQ(r.status, AifStatus::kSuccess) << r.cid;
    EXPECT_EQ(StepSum(r), r.latency()) << r.cid;
  }
}

}  // namespace
}  // namespace strata::controller

namespace strata::controller {
namespace {

// aif_post on a one-die drive: the weights' MRd, host memory, the data
// down, then the be-enc LSB program (command, 16 KiB data-in, tPROG).
TEST(AifCommandsTest, PostIsDmaThenBeEncLsbProgramToThePicosecond) {
  AifSsdConfig c = Aif();
  c.nand.geometry.channels = 1;
  c.nand.geometry.dies_per_channel = 1;
  auto b = Make(c, {AifPostCommand(4, 4096), AifGemvCommand(0)});
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(sim::Run(b->sim, sim::RunOptions{}).ok());
  const auto& post = b->sys.ssd->records()[0];
  ASSERT_EQ(post.status, AifStatus::kSuccess);
  // 16 KiB = 4 memory pages: PRP1 + a list of 3 entries (24 B).
  EXPECT_EQ(post.steps[kAifDmaSetup], Ns(200) + Wire(0) + kOneWay + Ns(100) + Wire(24) + kOneWay);
  const SimTime place = (Wire(0) + kOneWay + Ns(100) + Wire(16384) + kOneWay) +
                        (Ns(10) + kCmd + Channel(16384) + Us(500) + Ns(10));
  EXPECT_EQ(post.steps[kAifPlace], place);
  EXPECT_EQ(post.latency(), Front() + Ns(500) + post.steps[kAifDmaSetup] + place + Back());
  EXPECT_EQ(b->sys.nand.dies[0][0]->stats().pages_programmed, 1u);
  // The block is be-enc coded: the GEMV's array read is 28 us, not 37.
  const auto& gemv = b->sys.ssd->records()[1];
  EXPECT_EQ(gemv.steps[kAifFlash], Ns(10) + kCmd + Us(28) + Us(2.56) + Channel(16) + Ns(10));

  // Two 4-plane steps (32 rows x 4096 = 128 KiB): step 1's data arrives
  // while step 0 programs, and its program follows at once on the die.
  b = Make(c, {AifPostCommand(32, 4096)});
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(sim::Run(b->sim, sim::RunOptions{}).ok());
  const SimTime step = kCmd * 4 + Channel(16384) * 4 + Us(500);
  EXPECT_EQ(b->sys.ssd->records()[0].steps[kAifPlace],
            (Wire(0) + kOneWay + Ns(100) + Wire(65536) + kOneWay) + Ns(10) + step * 2 + Ns(10));
  EXPECT_EQ(b->sys.nand.dies[0][0]->stats().pages_programmed, 8u);
}

}  // namespace
}  // namespace strata::controller

namespace strata::controller {
namespace {

// GEMV throughput over a placed matrix: AiF (be-enc LSB pages + cr-read)
// against AiF-- (default coding, every page, no cr-read). Per die, four
// planes per step:
//   AiF: a step reads 4 x 16 KiB in 9.7 us but ECCLITE + PE take
//        4 x 2.56 = 10.24 us: 65536 B / 10.24 us = 6.4 GB/s per die.
//   AiF--: tR cycles 37 / 46 / 37 us (LSB, CSB, MSB), mean 40 us, compute
//        hidden: 65536 B / 40 us = 1.6384 GB/s per die.
// 16 dies: 102.4 vs 26.2144 GB/s, ratio 6.4 / 1.6384 = 3.906 (AiF's "4x").
// Steady state from the simulation: extra bytes over extra flash time
// between a 256-step and a 128-step share per die (start-up and tail cancel).
TEST(AifCommandsTest, GemvThroughputWithCrReadAndBeEncIsFourTimesBaseline) {
  const uint32_t cols = 4096;
  // Per die: 128 steps = 128 x 64 KiB / 4096 = 2048 rows; 256 steps = 4096 rows.
  const uint32_t rows_128 = 16 * 2048, rows_256 = 16 * 4096;
  auto throughput = [&](bool aif) {
    auto b = Make(Aif(aif), {AifPostCommand(rows_128, cols), AifPostCommand(rows_256, cols), AifGemvCommand(0), AifGemvCommand(1)});
    EXPECT_NE(b, nullptr);
    EXPECT_TRUE(sim::Run(b->sim, sim::RunOptions{}).ok());
    const auto& recs = b->sys.ssd->records();
    EXPECT_EQ(recs.size(), 4u);
    for (const auto& r : recs) EXPECT_EQ(r.status, AifStatus::kSuccess);
    EXPECT_EQ(b->sys.ssd->matrices()[0].extents[0].steps, 128u);
    EXPECT_EQ(b->sys.ssd->matrices()[1].extents[0].steps, 256u);
    const SimTime t128 = recs[2].steps[kAifFlash], t256 = recs[3].steps[kAifFlash];
    if (aif) {
      // Hand arithmetic: per die, compute-bound after the first 28 us read
      // (N steps x 10.24 us); N x 16 rows x 4 B of partial sums per die, and
      // die 1 of a channel sends its partial sums behind die 0's.
      auto expect = [&](int64_t steps) {
        return Ns(10) + kCmd * 4 + Us(28) + Us(10.24) * steps + Channel(steps * 16 * 4) * 2 + Ns(10);
      };
      EXPECT_EQ(t128, expect(128));
      EXPECT_EQ(t256, expect(256));
      EXPECT_EQ(b->sys.nand.dies[0][0]->stats().cr_reads, (128u - 1 + 256 - 1) * 4);
    }
    const double bytes = double{rows_256 - rows_128} * cols;
    const double bw = bytes / (t256 - t128).ToSeconds();
    std::printf("%s: gemv flash 128 steps %.3f us, 256 steps %.3f us; throughput %.4f GB/s; end to end %.3f us\n",
                aif ? "AiF" : "AiF--", t128.ToSeconds() * 1e6, t256.ToSeconds() * 1e6, bw / 1e9,
                recs[3].latency().ToSeconds() * 1e6);
    return bw;
  };
  const double aif = throughput(true);
  const double base = throughput(false);
  std::printf("GEMV throughput ratio AiF / AiF-- = %.4f (phases: 3.906)\n", aif / base);
  // The extra partial sums (2 dies x 8 KiB per channel) cost 8.2 us of 1.32 ms.
  EXPECT_NEAR(aif / 102.4e9, 1.0, 0.01);
  EXPECT_NEAR(base / 26.2144e9, 1.0, 0.01);
  EXPECT_NEAR(aif / base, 6.4 / 1.6384, 0.04);
  EXPECT_NEAR(aif / base, 4.0, 0.15);  // AiF's 4x, within 4 %: 3.88 (the partial sums cost a little)
}

// The same post + GEMV run gives the same digest on 1 and 2 partitions,
// both sync algorithms.
TEST(AifCommandsTest, SameDigestOnOneAndTwoPartitions) {
  uint64_t digest = 0;
  for (int parts : {1, 2}) {
    for (sim::SyncAlgorithm sync : {sim::SyncAlgorithm::kWindow, sim::SyncAlgorithm::kNullMessage}) {
      auto b = Make(Aif(), {AifPostCommand(64, 4096), AifPostCommand(8192, 28672), AifGemvCommand(0), AifGemvCommand(1), AifGemvCommand(0), AifPostCommand(100, 3)});
      ASSERT_NE(b, nullptr);
      sim::RunOptions o;
      o.partitions = parts;
      o.sync = sync;
      absl::StatusOr<sim::RunResult> r = sim::Run(b->sim, o);
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ(b->sys.host->done().size(), 6u);
      if (digest == 0) {
        digest = r->digest;
      } else {
        EXPECT_EQ(r->digest, digest) << parts << " partitions, " << sim::SyncAlgorithmName(sync);
      }
    }
  }
}

// Errors complete the command with a status and change nothing: an unknown
// matrix, zero rows, a row wider than a block group, a matrix larger than
// the free IFP blocks.
TEST(AifCommandsTest, BadCommandsCompleteWithStatusAndPlaceNothing) {
  AifSsdConfig c = Aif(true, 2);
  const uint32_t group = 4 * 256 * 16384;  // 16 MiB per block group (be-enc LSB)
  // 2 blocks per die hold 16 x 2 x 16 MiB = 512 MiB: 16 x 2 x 1024 rows of 16 KiB.
  auto b = Make(c, {AifGemvCommand(0), AifPostCommand(0, 4096), AifPostCommand(1, group + 1), AifPostCommand(16 * 2048 + 1, 16384), AifPostCommand(16 * 2048, 16384),
                    AifGemvCommand(0), AifPostCommand(1, 1)});
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(sim::Run(b->sim, sim::RunOptions{}).ok());
  const auto& d = b->sys.host->done();
  ASSERT_EQ(d.size(), 7u);
  EXPECT_EQ(d[0].completion.status, AifStatus::kInvalidField);
  EXPECT_EQ(d[1].completion.status, AifStatus::kInvalidField);
  EXPECT_EQ(d[2].completion.status, AifStatus::kInvalidField);
  EXPECT_EQ(d[3].completion.status, AifStatus::kCapacityExceeded);
  EXPECT_EQ(d[4].completion.status, AifStatus::kSuccess);
  EXPECT_EQ(d[4].completion.matrix, 0u);
  EXPECT_EQ(d[5].completion.status, AifStatus::kSuccess);
  EXPECT_EQ(d[6].completion.status, AifStatus::kCapacityExceeded);  // every die's blocks are used
  EXPECT_EQ(b->sys.ssd->matrices().size(), 1u);
  EXPECT_EQ(b->sys.ssd->stats().errors, 5u);
  // An error skips the data steps: front, firmware, completion.
  const auto& r = b->sys.ssd->records()[0];
  EXPECT_EQ(r.latency(), Front() + Ns(500) + Back());
  EXPECT_EQ(r.steps[kAifFlash], SimTime::Zero());
}

TEST(AifCommandsTest, ConfigErrorsNameTheField) {
  AifSsdConfig c = Aif();
  c.reduce_bytes_per_s = 0;
  EXPECT_NE(ValidateAifSsdConfig(c).message().find("reduce_bytes_per_s"), std::string::npos);
  c = Aif();
  c.channel_link = SimTime::Zero();
  EXPECT_NE(ValidateAifSsdConfig(c).message().find("channel_link"), std::string::npos);
  c = Aif();
  c.nand.pe.placement = nand::PePlacement::kNone;
  EXPECT_NE(ValidateAifSsdConfig(c).message().find("pe.placement"), std::string::npos);
  c = Aif();
  c.nand.geometry.bits_per_cell = 2;
  EXPECT_NE(ValidateAifSsdConfig(c).message().find("bits_per_cell"), std::string::npos);
  EXPECT_TRUE(ValidateAifSsdConfig(Aif()).ok());
}

}  // namespace
}  // namespace strata::controller

namespace strata::controller {
namespace {

// One LLaMA-2-70B FFN layer (REFERENCE.md: hidden 8192, FFN 28672):
// gate and up 28672 x 8192, down 8192 x 28672. Per die 1792 (gate, up) or
// 512 (down) rows = 14 MiB = 224 steps of 4 x 16 KiB, one block group each,
// programmed be-enc on LSB pages (stride 3) of consecutive wordlines.
// A post is program-bound: per die 224 x (4 x 7 command cycles + 4 x
// 16 KiB data-in at 2 GB/s + tPROG 500 us) = 224 x 533.328 us; the DMA
// lead-in and the two dies sharing a channel add < 0.5 %.
TEST(AifCommandsTest, Llama70bFfnLayerIsPlacedBlockContiguousAndProgramBound) {
  auto b = Make(Aif(), {AifPostCommand(28672, 8192), AifPostCommand(28672, 8192), AifPostCommand(8192, 28672)});
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(sim::Run(b->sim, sim::RunOptions{}).ok());
  const auto& ssd = *b->sys.ssd;
  ASSERT_EQ(ssd.matrices().size(), 3u);
  for (uint32_t m = 0; m < 3; ++m) {
    const auto& mat = ssd.matrices()[m];
    ASSERT_EQ(mat.extents.size(), 16u);
    for (uint32_t d = 0; d < 16; ++d) {
      const auto& x = mat.extents[d];
      EXPECT_EQ(x.die, d);
      EXPECT_EQ(x.block, m);
      EXPECT_EQ(x.steps, 224u);
      EXPECT_EQ(x.planes, 4u);
      EXPECT_EQ(x.rows, m < 2 ? 1792u : 512u);
    }
  }
  for (uint32_t c = 0; c < 8; ++c) {
    for (uint32_t d = 0; d < 2; ++d) {
      const nand::NandDie& die = *b->sys.nand.dies[c][d];
      EXPECT_EQ(die.stats().pages_programmed, 3u * 224 * 4);
      for (uint32_t p = 0; p < 4; ++p) {
        for (uint32_t blk = 0; blk < 3; ++blk) {
          EXPECT_EQ(die.block_coding(p, blk), nand::BlockCoding::kBiasErrorEncoding);
        }
      }
    }
  }
  const SimTime program_bound = (kCmd * 4 + Channel(16384) * 4 + Us(500)) * 224;
  for (const auto& r : ssd.records()) {
    EXPECT_GE(r.steps[kAifPlace], program_bound);
    EXPECT_NEAR(r.steps[kAifPlace].ToSeconds() / program_bound.ToSeconds(), 1.0, 0.005);
    EXPECT_EQ(StepSum(r), r.latency());
  }
  EXPECT_EQ(ssd.stats().weight_bytes, 3ull * 28672 * 8192);
}

}  // namespace
}  // namespace strata::controller
