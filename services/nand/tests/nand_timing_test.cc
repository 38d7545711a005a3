// Timing of the die and channel models against hand arithmetic. Constants
// (AiF default, nand_config.h): cmd/addr cycle 20 ns, read = 7 cycles;
// tR = 14 + levels * 9 + 5 us (cr-read: 0.7 + levels * 9 us);
// data-out of 16 KiB at 2.0 GB/s = 16384 / 2e9 s = 8.192 us;
// ECCLITE 16384 / 6.4e9 s = 2.56 us.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "flash/nand_channel.h"
#include "strata/sim/engine.h"
#include "tests/test_requester.h"

namespace strata::nand {
namespace {

using sim::SimTime;
using testing::MakeBench;
using testing::TestRequester;

const SimTime kLink = SimTime::Nanoseconds(10);
const SimTime kCmd = SimTime::Nanoseconds(7 * 20);
const SimTime kXfer = SimTime::Nanoseconds(8192);
SimTime Us(double us) { return SimTime::FromMicroseconds(us); }

NandConfig TimingConfig(uint32_t channels = 1, uint32_t dies = 1) {
  NandConfig c = AifDefaultNandConfig();
  c.geometry.channels = channels;
  c.geometry.dies_per_channel = dies;
  c.geometry.blocks_per_plane = 8;
  c.ecc.kind = EccKind::kNone;
  c.reliability.enabled = false;
  return c;
}

NandRequest Read(uint64_t id, uint32_t block, uint32_t page, uint16_t count = 1, uint8_t stride = 1, uint8_t die = 0,
                 uint8_t planes = 1) {
  NandRequest r;
  r.id = id;
  r.op = NandOp::kRead;
  r.block = block;
  r.page = page;
  r.page_count = count;
  r.page_stride = stride;
  r.die = die;
  r.plane_count = planes;
  return r;
}

absl::StatusOr<sim::RunResult> RunIt(sim::Simulation& s, int partitions = 1,
                                     sim::SyncAlgorithm sync = sim::SyncAlgorithm::kWindow) {
  sim::RunOptions o;
  o.partitions = partitions;
  o.sync = sync;
  return sim::Run(s, o);
}

TEST(NandTimingTest, OnePageReadIsCommandPlusTrPlusDataOut) {
  auto b = MakeBench(TimingConfig(), {{0, Read(1, 0, 0)}, {0, Read(2, 0, 1), Us(100)}}, kLink);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(RunIt(b->sim).ok());
  ASSERT_EQ(b->requester->received.size(), 2u);
  // LSB (2 levels): 14 + 2*9 + 5 = 37 us.
  EXPECT_EQ(b->requester->Find(1)->time, kLink + kCmd + Us(14 + 2 * 9 + 5) + kXfer + kLink);
  // CSB (3 levels) of the same wordline, issued at 100 us: 46 us; not cr (same wordline).
  EXPECT_EQ(b->requester->Find(2)->time, Us(100) + kLink + kCmd + Us(14 + 3 * 9 + 5) + kXfer + kLink);
  EXPECT_EQ(b->requester->Find(1)->response.status, NandStatus::kOk);
  EXPECT_EQ(b->array.channels[0]->stats().bus_busy, kCmd * 2 + kXfer * 2);
  EXPECT_EQ(b->array.dies[0][0]->stats().bytes_out, 2u * 16384);
}

TEST(NandTimingTest, EccLiteAddsPageOverItsRate) {
  NandConfig c = TimingConfig();
  c.ecc.kind = EccKind::kEccLite;
  auto b = MakeBench(c, {{0, Read(1, 0, 0)}}, kLink);
  ASSERT_TRUE(RunIt(b->sim).ok());
  EXPECT_EQ(b->requester->Find(1)->time, kLink + kCmd + Us(37) + SimTime::Nanoseconds(2560) + kXfer + kLink);
}

// AiF's IFP layout: weights on the LSB pages of a be-enc block, read wordline
// after wordline (page stride 3). With cr-read every read after the first is
// t_RECY + 1 * t_SENSE = 9.7 us instead of 28 us. Both are longer than a
// data-out (8.192 us), so with cache read the block is array-bound.
TEST(NandTimingTest, CrReadSkipsPrechargeOnNextWordline) {
  const uint16_t wls = 256;
  for (bool cr : {false, true}) {
    NandConfig c = TimingConfig();
    c.timing.cr_read = cr;
    auto b = MakeBench(c, {{0, Read(1, 3, 0, wls, 3)}}, kLink);
    b->array.dies[0][0]->SetBlockCoding(0, 3, BlockCoding::kBiasErrorEncoding);
    ASSERT_TRUE(RunIt(b->sim).ok());
    const SimTime conventional = Us(14) + Us(9) + Us(5);  // 28 us
    const SimTime recycled = Us(0.7) + Us(9);             // 9.7 us
    const SimTime arrays = cr ? conventional + recycled * (wls - 1) : conventional * wls;
    EXPECT_EQ(b->requester->Find(1)->time, kLink + kCmd + arrays + kXfer + kLink) << "cr=" << cr;
    EXPECT_EQ(b->array.dies[0][0]->stats().cr_reads, cr ? wls - 1u : 0u);
    std::printf("be-enc LSB block (%u WLs) %s cr-read: %s\n", wls, cr ? "with" : "without",
                b->requester->Find(1)->time.ToString().c_str());
  }
}

TEST(NandTimingTest, CrReadNeedsSameBlockNextWordlineAndNoInterveningOp) {
  NandConfig c = TimingConfig();
  c.timing.cr_read = true;
  NandRequest erase;
  erase.id = 4;
  erase.op = NandOp::kErase;
  erase.block = 5;
  // Reads issued one after another (each waits for the previous response).
  auto b = MakeBench(c,
                     {{0, Read(1, 0, 0)},                 // WL 0 block 0: conventional
                      {0, Read(2, 0, 3), Us(100)},        // WL 1 block 0: cr
                      {0, Read(3, 1, 6), Us(200)},        // WL 2 of block 1: other block, conventional
                      {0, erase, Us(300)},                // intervening erase on the plane
                      {0, Read(5, 1, 9), Us(4000)},       // WL 3 of block 1 after erase: conventional
                      {0, Read(6, 1, 15), Us(4100)}},     // WL 5: not next wordline, conventional
                     kLink);
  ASSERT_TRUE(RunIt(b->sim).ok());
  EXPECT_EQ(b->array.dies[0][0]->stats().cr_reads, 1u);
  EXPECT_EQ(b->requester->Find(2)->time, Us(100) + kLink + kCmd + Us(0.7 + 2 * 9) + kXfer + kLink);
  EXPECT_EQ(b->requester->Find(3)->time, Us(200) + kLink + kCmd + Us(37) + kXfer + kLink);
  // Erase: 5 cmd/addr cycles + tBERS 3.5 ms.
  EXPECT_EQ(b->requester->Find(4)->time, Us(300) + kLink + SimTime::Nanoseconds(5 * 20) + Us(3500) + kLink);
}

TEST(NandTimingTest, CacheReadOverlapsArrayWithDataOut) {
  const uint16_t pages = 64;
  NandConfig c = TimingConfig();
  c.timing.cache_read = false;
  auto b = MakeBench(c, {{0, Read(1, 0, 0, pages, 3)}}, kLink);  // LSB pages: 37 us each
  ASSERT_TRUE(RunIt(b->sim).ok());
  EXPECT_EQ(b->requester->Find(1)->time, kLink + kCmd + (Us(37) + kXfer) * pages + kLink);
  c.timing.cache_read = true;
  b = MakeBench(c, {{0, Read(1, 0, 0, pages, 3)}}, kLink);
  ASSERT_TRUE(RunIt(b->sim).ok());
  EXPECT_EQ(b->requester->Find(1)->time, kLink + kCmd + Us(37) * pages + kXfer + kLink);
}

// Two dies on one channel read a page each at time 0. The bus serialises
// both command phases and both data-outs; die 1 waits for die 0's data-out.
TEST(NandTimingTest, TwoDiesShareOneChannelBus) {
  auto b = MakeBench(TimingConfig(1, 2), {{0, Read(1, 0, 0, 1, 1, 0)}, {0, Read(2, 0, 0, 1, 1, 1)}}, kLink);
  ASSERT_TRUE(RunIt(b->sim).ok());
  const SimTime die0_out_end = kLink + kCmd + Us(37) + kXfer;
  EXPECT_EQ(b->requester->Find(1)->time, die0_out_end + kLink);
  // Die 1's array finishes at kLink + 2 kCmd + 37 us, before die 0's
  // data-out ends: it starts when the bus frees.
  EXPECT_EQ(b->requester->Find(2)->time, die0_out_end + kXfer + kLink);
  EXPECT_EQ(b->array.channels[0]->stats().bus_busy, kCmd * 2 + kXfer * 2);
}

TEST(NandTimingTest, MultiPlaneReadSendsEveryPlanesPageAfterOneArrayTime) {
  auto b = MakeBench(TimingConfig(), {{0, Read(1, 0, 1, 1, 1, 0, 4)}}, kLink);  // CSB on 4 planes
  ASSERT_TRUE(RunIt(b->sim).ok());
  // 4 x 7 cmd/addr cycles, one 46 us array time, 4 data-outs back to back.
  EXPECT_EQ(b->requester->Find(1)->time, kLink + kCmd * 4 + Us(46) + kXfer * 4 + kLink);
  EXPECT_EQ(b->requester->Find(1)->response.pages, 4u);
}

TEST(NandTimingTest, ProgramIsDataInThenTprog) {
  NandRequest p;
  p.id = 1;
  p.op = NandOp::kProgram;
  p.block = 2;
  p.page = 0;
  p.page_count = 2;
  p.plane_count = 2;
  p.flags = kFlagBeEnc;
  auto b = MakeBench(TimingConfig(), {{0, p}}, kLink);
  ASSERT_TRUE(RunIt(b->sim).ok());
  // Per step: 2 planes' data-in (2 x 8.192 us) then tPROG 500 us; 2 steps.
  EXPECT_EQ(b->requester->Find(1)->time,
            kLink + SimTime::Nanoseconds(2 * 7 * 20) + (kXfer * 2 + Us(500)) * 2 + kLink);
  EXPECT_EQ(b->array.dies[0][0]->block_coding(1, 2), BlockCoding::kBiasErrorEncoding);
  EXPECT_EQ(b->array.dies[0][0]->stats().pages_programmed, 4u);
  EXPECT_EQ(b->array.dies[0][0]->stats().bytes_in, 4u * 16384);
}

// A datasheet's per-page-type times (DriveSpec.read_us / program_us) replace
// the phase model: LSB, CSB and MSB reads take their own tR, and each page of
// a multi-page program its own tPROG.
TEST(NandTimingTest, DatasheetTimesPerPageTypeReplaceThePhaseModel) {
  NandConfig c = TimingConfig();
  c.timing.read_by_page_type = {Us(30), Us(50), Us(70), SimTime::Zero()};
  c.timing.program_by_page_type = {Us(400), Us(900), Us(1500), SimTime::Zero()};
  NandRequest p;
  p.id = 9;
  p.op = NandOp::kProgram;
  p.block = 2;
  p.page = 0;
  p.page_count = 3;  // LSB, CSB, MSB of wordline 0
  auto b = MakeBench(c,
                     {{0, Read(1, 0, 0)}, {0, Read(2, 0, 1), Us(200)}, {0, Read(3, 0, 2), Us(400)}, {0, p, Us(600)}},
                     kLink);
  ASSERT_TRUE(RunIt(b->sim).ok());
  EXPECT_EQ(b->requester->Find(1)->time, kLink + kCmd + Us(30) + kXfer + kLink);
  EXPECT_EQ(b->requester->Find(2)->time, Us(200) + kLink + kCmd + Us(50) + kXfer + kLink);
  EXPECT_EQ(b->requester->Find(3)->time, Us(400) + kLink + kCmd + Us(70) + kXfer + kLink);
  EXPECT_EQ(b->requester->Find(9)->time,
            Us(600) + kLink + kCmd + kXfer * 3 + Us(400) + Us(900) + Us(1500) + kLink);
  // A time for a page type the cell does not have is refused.
  c.timing.read_by_page_type[3] = Us(10);
  EXPECT_THAT(ValidateNandConfig(c).message(), ::testing::HasSubstr("timing.read_by_page_type[3]"));
}

// ONFI random data-out: a read of part of a page moves (and ECCLITE
// decodes) only its bytes, rounded up to whole 1 KiB codewords, after the
// full array read: 4 KiB at 2 GB/s = 2.048 us, 3 KiB asked = 3 codewords.
TEST(NandTimingTest, APartialPageReadMovesOnlyItsBytes) {
  NandConfig c = TimingConfig();
  c.ecc.kind = EccKind::kEccLite;
  NandRequest four = Read(1, 0, 0);
  four.read_bytes = 4096;
  NandRequest three = Read(2, 0, 3);
  three.read_bytes = 2500;
  auto b = MakeBench(c, {{0, four}, {0, three, Us(100)}}, kLink);
  ASSERT_TRUE(RunIt(b->sim).ok());
  EXPECT_EQ(b->requester->Find(1)->time,
            kLink + kCmd + Us(37) + SimTime::Nanoseconds(640) + SimTime::Nanoseconds(2048) + kLink);
  EXPECT_EQ(b->requester->Find(2)->time,
            Us(100) + kLink + kCmd + Us(37) + SimTime::Nanoseconds(480) + SimTime::Nanoseconds(1536) + kLink);
  EXPECT_EQ(b->array.dies[0][0]->stats().bytes_out, 4096u + 3072u);
  EXPECT_EQ(b->array.channels[0]->stats().bus_busy, kCmd * 2 + SimTime::Nanoseconds(2048 + 1536));
}

TEST(NandTimingTest, InvalidRequestIsAnsweredAndChangesNothing) {
  auto b = MakeBench(TimingConfig(), {{0, Read(1, 8, 0)}, {0, Read(2, 0, 767, 2)}, {0, Read(3, 0, 0, 1, 1, 1)}},
                     kLink);
  ASSERT_TRUE(RunIt(b->sim).ok());
  ASSERT_EQ(b->requester->received.size(), 3u);
  // Answered when the fastest valid request could be (the channel's
  // declared reaction from "host" to "host"): a one-page read's command
  // cycles, its array time at the fewest levels of any page type and coding
  // (be-enc's LSB: 14 + 9 + 5 = 28 us; no cr-read on wordline 0) and its
  // data-out.
  for (const auto& r : b->requester->received) {
    EXPECT_EQ(r.response.status, NandStatus::kInvalidRequest);
    EXPECT_EQ(r.time, kLink * 2 + kCmd + Us(28) + kXfer);
  }
  EXPECT_EQ(b->array.dies[0][0]->stats().commands, 0u);
  EXPECT_EQ(b->array.channels[0]->stats().invalid_requests, 3u);
}

// Sequential multi-plane reads of D dies on C channels: the SSD's read
// bandwidth is C x min(D x array bandwidth, channel bandwidth), where the
// array bandwidth of a die is planes x page / tR.
TEST(NandTimingTest, SequentialReadBandwidthIsMinOfArrayAndChannel) {
  const uint32_t channels = 2;
  const uint16_t wls = 256;
  for (uint32_t dies : {1u, 2u}) {
    NandConfig c = TimingConfig(channels, dies);
    std::vector<TestRequester::Scripted> script;
    uint64_t id = 0;
    for (uint32_t ch = 0; ch < channels; ++ch) {
      for (uint32_t d = 0; d < dies; ++d) script.push_back({ch, Read(++id, 0, 0, wls, 3, d, 4)});
    }
    auto b = MakeBench(c, script, kLink);
    ASSERT_TRUE(RunIt(b->sim).ok());
    const double bytes = double{channels} * dies * 4 * wls * 16384;
    const double measured = bytes / b->requester->LastTime().ToSeconds();
    const double array_bw = 4 * 16384 / 37e-6;  // planes x page / tR(LSB)
    const double channel_bw = 2e9;
    const double expected = channels * std::min(dies * array_bw, channel_bw);
    std::printf("%u ch x %u dies: %.4f GB/s measured, %.4f GB/s = min(array, channel) x channels\n", channels, dies,
                measured / 1e9, expected / 1e9);
    EXPECT_NEAR(measured / expected, 1.0, 0.01) << dies << " dies";
  }
}

}  // namespace
}  // namespace strata::nand
