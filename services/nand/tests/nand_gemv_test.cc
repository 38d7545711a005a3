// In-array GEMV against hand arithmetic. Constants (AiF default,
// nand_config.h): cmd/addr 7 cycles x 20 ns per plane; tR = 14 + levels * 9
// + 5 us (cr-read 0.7 + levels * 9 us); ECCLITE 16384 B / 6.4 GB/s = 2.56 us;
// PE: 16384 INT8 weights / 32 MACs per cycle = 512 cycles at 200 MHz =
// 2.56 us; partial sums output_rows x 4 B over the 2.0 GB/s channel.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "flash/nand_channel.h"
#include "strata/sim/engine.h"
#include "tests/test_requester.h"

namespace strata::nand {
namespace {

using sim::SimTime;
using testing::MakeBench;

const SimTime kLink = SimTime::Nanoseconds(10);
const SimTime kCmd = SimTime::Nanoseconds(7 * 20);
const SimTime kEcc = SimTime::Nanoseconds(2560);
const SimTime kPe = SimTime::Nanoseconds(2560);
SimTime Us(double us) { return SimTime::FromMicroseconds(us); }
SimTime Bytes(uint64_t b, uint64_t rate = 2'000'000'000) { return sim::TransferTime(b, rate); }

// Every test runs at PAGE and at STREAM fidelity against the same hand
// arithmetic.
Fidelity g_fidelity = Fidelity::kPage;

class NandGemvTest : public ::testing::TestWithParam<Fidelity> {
 protected:
  void SetUp() override { g_fidelity = GetParam(); }
};

NandConfig GemvConfig(uint32_t dies = 1) {
  NandConfig c = AifDefaultNandConfig();
  c.fidelity = g_fidelity;
  c.geometry.channels = 1;
  c.geometry.dies_per_channel = dies;
  c.geometry.blocks_per_plane = 8;
  c.reliability.enabled = false;
  return c;
}

NandRequest Gemv(uint64_t id, uint32_t block, uint32_t page, uint16_t count, uint8_t stride, uint8_t planes,
                 uint32_t vector_dim, uint32_t rows, uint8_t die = 0) {
  NandRequest r;
  r.id = id;
  r.op = NandOp::kGemv;
  r.block = block;
  r.page = page;
  r.page_count = count;
  r.page_stride = stride;
  r.plane_count = planes;
  r.die = die;
  r.vector_dim = vector_dim;
  r.output_rows = rows;
  return r;
}

absl::StatusOr<sim::RunResult> RunIt(sim::Simulation& s) { return sim::Run(s, sim::RunOptions{}); }

// The channel's promise rests on MinimumDieTime: a lower bound from the
// timing alone. One LSB page at wordline 0 (no cr-read possible): the
// fewest levels over both codings is be-enc's 1 (14 + 9 + 5 = 28 us), then
// max(ECC, PE); the die really takes tR 37 us (default coding, 2 levels).
TEST_P(NandGemvTest, MinimumDieTimeIsTheFastestCodingsPipelineAndNeverAboveTheRealTime) {
  const NandRequest one = Gemv(1, 0, 0, 1, 1, 1, 4096, 4);
  EXPECT_EQ(MinimumDieTime(GemvConfig(), one), Us(28) + std::max(kEcc, kPe));
  // 96 pages on 4 planes, stride 1: every wordline after the first may
  // charge-recycle; the run is still at least 96 steps of the fastest read.
  const NandRequest run = Gemv(2, 0, 0, 96, 1, 4, 4096, 4 * 96);
  const SimTime bound = MinimumDieTime(GemvConfig(), run);
  EXPECT_GE(bound, Us(9.7) * 96);
  auto b = MakeBench(GemvConfig(), {{0, run}}, kLink);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(RunIt(b->sim).ok());  // the channel's promise is checked at the response
  const auto* r = b->requester->Find(2);
  ASSERT_NE(r, nullptr);
  EXPECT_LE(kLink + kCmd + bound + kLink, r->time);
}

TEST_P(NandGemvTest, OnePageIsTrThenMaxOfEccAndPeThenPartialSums) {
  // 4 rows x 4096 columns = 16384 INT8 weights = one LSB page (tR 37 us).
  auto b = MakeBench(GemvConfig(), {{0, Gemv(1, 0, 0, 1, 1, 1, 4096, 4)}}, kLink);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(RunIt(b->sim).ok());
  const auto* r = b->requester->Find(1);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->response.status, NandStatus::kOk);
  EXPECT_EQ(r->response.output_bytes, 16u);
  // ECC and PE overlap on the page: max(2.56, 2.56) us.
  EXPECT_EQ(r->time, kLink + kCmd + Us(37) + std::max(kEcc, kPe) + Bytes(16) + kLink);
  const NandDie::Stats& d = b->array.dies[0][0]->stats();
  EXPECT_EQ(d.pages_computed, 1u);
  EXPECT_EQ(d.macs, 16384u);
  EXPECT_EQ(d.pe_busy, kPe);
  EXPECT_EQ(d.partial_sum_bytes, 16u);
  EXPECT_EQ(d.bytes_out, 0u);

  // A PE array half as wide (16 MACs/cycle): the multiply (5.12 us) now
  // hides the ECC check (2.56 us).
  NandConfig c = GemvConfig();
  c.pe.macs_per_cycle = 16;
  b = MakeBench(c, {{0, Gemv(1, 0, 0, 1, 1, 1, 4096, 4)}}, kLink);
  ASSERT_TRUE(RunIt(b->sim).ok());
  EXPECT_EQ(b->requester->Find(1)->time, kLink + kCmd + Us(37) + kPe * 2 + Bytes(16) + kLink);
  // A slow ECC check (1.6 GB/s: 10.24 us) hides the 2.56 us multiply.
  c = GemvConfig();
  c.ecc.ecclite_bytes_per_s = 1'600'000'000;
  b = MakeBench(c, {{0, Gemv(1, 0, 0, 1, 1, 1, 4096, 4)}}, kLink);
  ASSERT_TRUE(RunIt(b->sim).ok());
  EXPECT_EQ(b->requester->Find(1)->time, kLink + kCmd + Us(37) + Us(10.24) + Bytes(16) + kLink);
}

TEST_P(NandGemvTest, OperandBitsSetMacsPerPage) {
  struct Case {
    PeOperand op;
    uint64_t weights;  // per 16 KiB page
  };
  for (const Case& k : {Case{PeOperand::kInt8, 16384}, Case{PeOperand::kInt4, 32768}, Case{PeOperand::kFp16, 8192}}) {
    NandConfig c = GemvConfig();
    c.ecc.kind = EccKind::kNone;
    c.pe.operand = k.op;
    auto b = MakeBench(c, {{0, Gemv(1, 0, 0, 1, 1, 1, 1024, 8)}}, kLink);
    ASSERT_TRUE(RunIt(b->sim).ok());
    const SimTime pe = sim::CyclesAt(k.weights / 32, 200'000'000);  // weights / 32 MACs at 200 MHz
    EXPECT_EQ(b->requester->Find(1)->time, kLink + kCmd + Us(37) + pe + Bytes(32) + kLink);
    EXPECT_EQ(b->array.dies[0][0]->stats().macs, k.weights);
  }
}

// AiF's layout: a be-enc block's LSB pages (stride 3), cr-read. One plane:
// every step after the first is 9.7 us of array time, longer than the
// 2.56 us compute, so the block is array-bound and the last page's compute
// and the partial sums trail the last array read.
TEST_P(NandGemvTest, BlockWithCrReadIsArrayBoundOnOnePlane) {
  const uint16_t wls = 256;
  NandConfig c = GemvConfig();
  c.timing.cr_read = true;
  auto b = MakeBench(c, {{0, Gemv(1, 2, 0, wls, 3, 1, 4096, 1024)}}, kLink);
  b->array.dies[0][0]->SetBlockCoding(0, 2, BlockCoding::kBiasErrorEncoding);
  ASSERT_TRUE(RunIt(b->sim).ok());
  const SimTime arrays = Us(28) + Us(9.7) * (wls - 1);
  EXPECT_EQ(b->requester->Find(1)->time, kLink + kCmd + arrays + kPe + Bytes(1024 * 4) + kLink);
  EXPECT_EQ(b->array.dies[0][0]->stats().cr_reads, wls - 1u);
  EXPECT_EQ(b->array.dies[0][0]->stats().pages_computed, wls);
  EXPECT_EQ(b->array.dies[0][0]->stats().pe_busy, kPe * wls);
}

// The channel carries the command and the partial sums, never the pages.
TEST_P(NandGemvTest, ChannelCarriesOnlyPartialSums) {
  const uint16_t pages = 64;
  const uint32_t rows = 4096;  // 4096 x 1024 = 4 Mi weights in 4 planes x 64 pages x 16 KiB
  auto b = MakeBench(GemvConfig(), {{0, Gemv(1, 0, 0, pages, 3, 4, 1024, rows)}}, kLink);
  ASSERT_TRUE(RunIt(b->sim).ok());
  const NandChannel::Stats& ch = b->array.channels[0]->stats();
  EXPECT_EQ(ch.bytes_out, rows * 4u);
  EXPECT_EQ(ch.partial_sum_bytes, rows * 4u);
  EXPECT_EQ(ch.bus_busy, kCmd * 4 + Bytes(rows * 4));
  EXPECT_EQ(b->array.dies[0][0]->stats().pages_computed, pages * 4u);
  EXPECT_EQ(b->array.dies[0][0]->stats().macs, uint64_t{pages} * 4 * 16384);
  EXPECT_EQ(b->requester->Find(1)->response.output_bytes, rows * 4u);

  // NVLLM's dedicated output path: the channel sees the command only, and
  // the partial sums take bytes / 16 GB/s after the last page.
  NandConfig c = GemvConfig();
  c.pe.dedicated_output_path = true;
  auto d = MakeBench(c, {{0, Gemv(1, 0, 0, pages, 3, 4, 1024, rows)}}, kLink);
  ASSERT_TRUE(RunIt(d->sim).ok());
  EXPECT_EQ(d->array.channels[0]->stats().bytes_out, 0u);
  EXPECT_EQ(d->array.channels[0]->stats().bus_busy, kCmd * 4);
  EXPECT_EQ(d->array.dies[0][0]->stats().partial_sum_bytes, rows * 4u);
  EXPECT_EQ(d->requester->Find(1)->time - b->requester->Find(1)->time,
            Bytes(rows * 4, 16'000'000'000) - Bytes(rows * 4));
}

// AiF's 4x (REFERENCE.md: 1.6 -> 6.4 GB/s per chip; ECCLITE 6.4 GB/s per
// chip). Per-chip GEMV over four planes of one block, from the phases:
//   AiF (cr-read + be-enc, LSB pages): a step reads 4 x 16 KiB in 9.7 us but
//   the chip's ECCLITE + PE take 4 x 2.56 = 10.24 us, so after the first
//   28 us read the chip computes 64 KiB per 10.24 us = 6.4 GB/s.
//   AiF-- (default (2,3,2) coding, every page of the block, no cr-read): tR
//   cycles 37/46/37 us = 40 us mean, compute hides under it:
//   64 KiB / 40 us = 1.6384 GB/s.
TEST_P(NandGemvTest, PerChipThroughputWithCrReadAndBeEncIsFourTimesBaseline) {
  const double step_bytes = 4.0 * 16384;
  // Response time of a 4-plane GEMV over `steps` steps of block 0.
  auto run = [&](bool aif, uint16_t steps) {
    NandConfig c = GemvConfig();
    c.timing.cr_read = aif;
    auto b = MakeBench(c, {{0, Gemv(1, 0, 0, steps, aif ? 3 : 1, 4, 4096, steps)}}, kLink);
    for (uint32_t p = 0; p < 4 && aif; ++p) b->array.dies[0][0]->SetBlockCoding(p, 0, BlockCoding::kBiasErrorEncoding);
    EXPECT_TRUE(RunIt(b->sim).ok());
    EXPECT_EQ(b->array.dies[0][0]->stats().pe_busy, kPe * (4 * steps));
    EXPECT_EQ(b->array.dies[0][0]->stats().stream_runs, g_fidelity == Fidelity::kStream ? 1u : 0u);
    return b->requester->Find(1)->time;
  };
  const SimTime psum = Bytes(256 * 4);  // rows = steps (x 4 B) in both runs below
  const SimTime aif_256 = run(true, 256);
  EXPECT_EQ(aif_256, kLink + kCmd * 4 + Us(28) + (kEcc * 4) * 256 + psum + kLink);
  const SimTime base_768 = run(false, 768);
  EXPECT_EQ(base_768, kLink + kCmd * 4 + Us(37 + 46 + 37) * 256 + kEcc * 4 + Bytes(768 * 4) + kLink);

  // Steady-state throughput from the simulation: extra bytes over extra time
  // between a long and a half-length stream (start-up and tail cancel, up to
  // the partial-sum size).
  const SimTime aif_128 = run(true, 128);
  const SimTime base_384 = run(false, 384);
  const double aif_bw = step_bytes * 128 / (aif_256 - aif_128).ToSeconds();
  const double base_bw = step_bytes * 384 / (base_768 - base_384).ToSeconds();
  std::printf("per-chip GEMV: AiF %.4f GB/s (phases: 6.4), AiF-- %.4f GB/s (phases: 1.6384), ratio %.3fx\n",
              aif_bw / 1e9, base_bw / 1e9, aif_bw / base_bw);
  EXPECT_NEAR(aif_bw / 6.4e9, 1.0, 0.01);
  EXPECT_NEAR(base_bw / 1.6384e9, 1.0, 0.01);
  EXPECT_NEAR(aif_bw / base_bw, 4.0, 0.15);  // 6.4 / 1.6384 = 3.91
}

// NVLLM-style per-plane PE arrays (each with its ECC check): the four planes
// compute in parallel, so the cr-read block is array-bound again at 9.7 us
// per step: 64 KiB / 9.7 us = 6.76 GB/s per die.
TEST_P(NandGemvTest, PerPlanePeArraysRemoveTheChipComputeBound) {
  const uint16_t wls = 128;
  NandConfig c = GemvConfig();
  c.timing.cr_read = true;
  c.pe.placement = PePlacement::kPerPlane;
  auto b = MakeBench(c, {{0, Gemv(1, 0, 0, wls, 3, 4, 4096, 2048)}}, kLink);
  for (uint32_t p = 0; p < 4; ++p) b->array.dies[0][0]->SetBlockCoding(p, 0, BlockCoding::kBiasErrorEncoding);
  ASSERT_TRUE(RunIt(b->sim).ok());
  EXPECT_EQ(b->requester->Find(1)->time,
            kLink + kCmd * 4 + Us(28) + Us(9.7) * (wls - 1) + kPe + Bytes(2048 * 4) + kLink);
  EXPECT_EQ(b->array.dies[0][0]->stats().pe_busy, kPe * (4 * wls));  // summed over the four arrays
}

TEST_P(NandGemvTest, InvalidGemvIsAnsweredAndChangesNothing) {
  NandConfig none = GemvConfig();
  none.pe.placement = PePlacement::kNone;
  NandConfig ldpc = GemvConfig();
  ldpc.ecc.kind = EccKind::kLdpc;
  for (const NandConfig& c : {none, ldpc}) {
    auto b = MakeBench(c, {{0, Gemv(1, 0, 0, 1, 1, 1, 4096, 4)}}, kLink);
    ASSERT_TRUE(RunIt(b->sim).ok());
    EXPECT_EQ(b->requester->Find(1)->response.status, NandStatus::kInvalidRequest);
    EXPECT_EQ(b->array.dies[0][0]->stats().commands, 0u);
  }
  auto b = MakeBench(GemvConfig(),
                     {{0, Gemv(1, 0, 0, 1, 1, 1, 4096, 5)},   // 20480 weights > one page's 16384
                      {0, Gemv(2, 0, 0, 1, 1, 1, 0, 4)},      // vector_dim 0
                      {0, Gemv(3, 0, 0, 1, 1, 1, 4096, 0)}},  // output_rows 0
                     kLink);
  ASSERT_TRUE(RunIt(b->sim).ok());
  ASSERT_EQ(b->requester->received.size(), 3u);
  for (const auto& r : b->requester->received) EXPECT_EQ(r.response.status, NandStatus::kInvalidRequest);
  EXPECT_EQ(b->array.dies[0][0]->stats().commands, 0u);
}

INSTANTIATE_TEST_SUITE_P(Fidelities, NandGemvTest, ::testing::Values(Fidelity::kPage, Fidelity::kStream),
                         [](const ::testing::TestParamInfo<Fidelity>& i) {
                           return i.param == Fidelity::kPage ? std::string("Page") : std::string("Stream");
                         });

}  // namespace
}  // namespace strata::nand
