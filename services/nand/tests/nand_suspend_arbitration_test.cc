// Program/erase suspend and command-first bus arbitration against hand
// arithmetic. Constants (AiF default, nand_config.h, ECC off): link 10 ns;
// read/program command 7 x 20 ns = 140 ns, erase 5 x 20 ns = 100 ns; LSB tR
// 14 + 2 x 9 + 5 = 37 us; 16 KiB over 2.0 GB/s = 8.192 us; tPROG 500 us;
// tBERS 3500 us; suspend 20 us (program and erase), resume 5 us.
#include <gtest/gtest.h>

#include "flash/nand_channel.h"
#include "strata/sim/engine.h"
#include "tests/test_requester.h"

namespace strata::nand {
namespace {

using sim::SimTime;
using testing::MakeBench;

const SimTime kLink = SimTime::Nanoseconds(10);
const SimTime kReadCmd = SimTime::Nanoseconds(7 * 20);
const SimTime kEraseCmd = SimTime::Nanoseconds(5 * 20);
const SimTime kXfer = SimTime::Nanoseconds(8192);
const SimTime kTrLsb = SimTime::Microseconds(37);
SimTime Us(int64_t us) { return SimTime::Microseconds(us); }

NandConfig Config(uint32_t dies = 1) {
  NandConfig c = AifDefaultNandConfig();
  c.geometry.channels = 1;
  c.geometry.dies_per_channel = dies;
  c.geometry.blocks_per_plane = 8;
  c.ecc.kind = EccKind::kNone;
  c.reliability.enabled = false;
  return c;
}

NandRequest Op(uint64_t id, NandOp op, uint32_t block, uint8_t die = 0, uint8_t flags = 0) {
  NandRequest r;
  r.id = id;
  r.op = op;
  r.block = block;
  r.die = die;
  r.flags = flags;
  return r;
}

TEST(NandSuspendTest, ReadSuspendsProgramAndProgramEndsLaterByReadPlusOverheads) {
  const NandConfig c = Config();
  ASSERT_EQ(c.timing.program_suspend, Us(20));
  ASSERT_EQ(c.timing.suspend_resume, Us(5));
  auto b = MakeBench(c, {{0, Op(1, NandOp::kProgram, 1)}, {0, Op(2, NandOp::kRead, 0, 0, kFlagSuspend), Us(100)}},
                     kLink);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(sim::Run(b->sim, {}).ok());
  // Program: command, data-in, then tPROG from 8.342 us to 508.342 us.
  const SimTime tprog_start = kLink + kReadCmd + kXfer;
  const SimTime program_alone = tprog_start + Us(500);
  // The read's command reaches the die at 100.150 us; the program has
  // 408.192 us left. Suspend 20 us, tR 37 us, data-out 8.192 us.
  const SimTime arrival = Us(100) + kLink + kReadCmd;
  const SimTime read_time = kTrLsb + kXfer;
  const SimTime read_done = arrival + Us(20) + read_time;
  EXPECT_EQ(b->requester->Find(2)->time, read_done + kLink);
  EXPECT_EQ(read_done, SimTime::Picoseconds(165'342'000));
  // Resume 5 us, then the 408.192 us left.
  EXPECT_EQ(b->requester->Find(1)->time, read_done + Us(5) + (program_alone - arrival) + kLink);
  EXPECT_EQ(b->requester->Find(1)->time, program_alone + Us(20) + read_time + Us(5) + kLink);
  EXPECT_EQ(b->requester->Find(1)->time, SimTime::Picoseconds(578'544'000));
  const NandDie& die = *b->array.dies[0][0];
  EXPECT_EQ(die.stats().program_suspends, 1u);
  EXPECT_EQ(die.stats().erase_suspends, 0u);
  EXPECT_EQ(die.stats().pages_programmed, 1u);
  EXPECT_EQ(die.stats().pages_read, 1u);
  // The die is busy without a gap from the program's command to its end.
  EXPECT_EQ(die.stats().busy, program_alone + Us(20) + read_time + Us(5) - (kLink + kReadCmd));
  EXPECT_EQ(b->array.channels[0]->stats().suspending_reads, 1u);
  EXPECT_EQ(b->requester->Find(2)->response.pages, 1u);
  EXPECT_EQ(b->requester->Find(2)->response.status, NandStatus::kOk);
}

TEST(NandSuspendTest, ReadSuspendsErase) {
  auto b = MakeBench(Config(),
                     {{0, Op(1, NandOp::kErase, 1)}, {0, Op(2, NandOp::kRead, 0, 0, kFlagSuspend), Us(1000)}}, kLink);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(sim::Run(b->sim, {}).ok());
  const SimTime erase_alone = kLink + kEraseCmd + Us(3500);
  const SimTime arrival = Us(1000) + kLink + kReadCmd;
  const SimTime read_time = kTrLsb + kXfer;
  EXPECT_EQ(b->requester->Find(2)->time, arrival + Us(20) + read_time + kLink);
  EXPECT_EQ(b->requester->Find(1)->time, erase_alone + Us(20) + read_time + Us(5) + kLink);
  EXPECT_EQ(b->array.dies[0][0]->stats().erase_suspends, 1u);
  EXPECT_EQ(b->array.dies[0][0]->stats().blocks_erased, 1u);
}

// Flagged reads that find nothing to suspend are ordinary reads: on an idle
// die, and behind a program still taking its data in (the read waits for it).
TEST(NandSuspendTest, FlaggedReadWithNothingToSuspendWaitsItsTurn) {
  auto b = MakeBench(Config(),
                     {{0, Op(1, NandOp::kRead, 0, 0, kFlagSuspend)},
                      {0, Op(2, NandOp::kProgram, 1), Us(100)},
                      {0, Op(3, NandOp::kRead, 0, 0, kFlagSuspend), Us(100) + SimTime::Nanoseconds(50)}},
                     kLink);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(sim::Run(b->sim, {}).ok());
  EXPECT_EQ(b->requester->Find(1)->time, kLink + kReadCmd + kTrLsb + kXfer + kLink);
  // Read 3 reaches the channel at 100.06 us, during the program's command:
  // its command goes next, before the program's data-in, so the die takes
  // it at 100.29 us with no tPROG to suspend, and runs it after the program.
  const SimTime program_end = Us(100) + kLink + kReadCmd * 2 + kXfer + Us(500);
  EXPECT_EQ(b->requester->Find(2)->time, program_end + kLink);
  EXPECT_EQ(b->requester->Find(3)->time, program_end + kTrLsb + kXfer + kLink);
  EXPECT_EQ(b->array.dies[0][0]->stats().program_suspends, 0u);
}

// Dies 0 and 1 read at t = 0; die 2's read arrives at 38.01 us, while die
// 0's data-out holds the bus and die 1's data-out waits. FIFO serves die 1's
// data-out first; command-first sends die 2's command first, so its tR
// starts 8.192 us sooner and die 1's data-out 140 ns later.
TEST(NandArbitrationTest, CommandFirstStartsAnIdleDieBeforeQueuedDataOut) {
  for (ChannelArbitration arb : {ChannelArbitration::kFifo, ChannelArbitration::kCommandFirst}) {
    NandConfig c = Config(3);
    c.channel_arbitration = arb;
    auto b = MakeBench(c,
                       {{0, Op(1, NandOp::kRead, 0, 0)},
                        {0, Op(2, NandOp::kRead, 0, 1)},
                        {0, Op(3, NandOp::kRead, 0, 2), Us(38)}},
                       kLink);
    ASSERT_NE(b, nullptr);
    ASSERT_TRUE(sim::Run(b->sim, {}).ok());
    const SimTime die0_out_end = kLink + kReadCmd + kTrLsb + kXfer;  // 45.342 us
    EXPECT_EQ(b->requester->Find(1)->time, die0_out_end + kLink);
    if (arb == ChannelArbitration::kFifo) {
      EXPECT_EQ(b->requester->Find(2)->time, die0_out_end + kXfer + kLink);
      EXPECT_EQ(b->requester->Find(3)->time, die0_out_end + kXfer + kReadCmd + kTrLsb + kXfer + kLink);
    } else {
      EXPECT_EQ(b->requester->Find(2)->time, die0_out_end + kReadCmd + kXfer + kLink);
      EXPECT_EQ(b->requester->Find(3)->time, die0_out_end + kReadCmd + kTrLsb + kXfer + kLink);
    }
  }
}

}  // namespace
}  // namespace strata::nand
