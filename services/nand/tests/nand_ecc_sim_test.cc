// ECC and reliability inside a running simulation: decoder counting,
// read-retry as real array re-reads, ECCLITE failure rate against the
// analytic binomial tail, and the determinism contract on 1 and 2 partitions.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "flash/nand_channel.h"
#include "flash/reliability.h"
#include "strata/sim/engine.h"
#include "tests/test_requester.h"

namespace strata::nand {
namespace {

using sim::SimTime;
using testing::MakeBench;
using testing::TestRequester;

const SimTime kLink = SimTime::Nanoseconds(50);

NandRequest MultiPlaneRead(uint64_t id, uint8_t die, uint32_t block, uint16_t wls, uint8_t stride) {
  NandRequest r;
  r.id = id;
  r.die = die;
  r.block = block;
  r.page_count = wls;
  r.page_stride = stride;
  r.plane_count = 4;
  return r;
}

NandConfig WornConfig(EccKind kind, uint32_t channels, uint32_t dies) {
  NandConfig c = AifDefaultNandConfig();
  c.geometry.channels = channels;
  c.geometry.dies_per_channel = dies;
  c.geometry.blocks_per_plane = 16;
  c.ecc.kind = kind;
  c.reliability.initial_retention_years = 1.0;
  return c;
}

// ECCLITE with t = 5 on be-enc LSB pages at AiF's end of life: the fraction
// of failed codewords the simulation counts matches the analytic tail.
TEST(NandEccSimTest, EccLiteFailureRateMatchesAnalyticTail) {
  NandConfig c = WornConfig(EccKind::kEccLite, 1, 1);
  c.ecc.ecclite_t = 5;
  c.reliability.initial_pe_cycles = 4000;
  std::vector<TestRequester::Scripted> script;
  for (uint32_t blk = 0; blk < 4; ++blk) script.push_back({0, MultiPlaneRead(blk + 1, 0, blk, 256, 3)});
  auto b = MakeBench(c, script, kLink);
  for (uint32_t p = 0; p < 4; ++p) {
    for (uint32_t blk = 0; blk < 4; ++blk) b->array.dies[0][0]->SetBlockCoding(p, blk, BlockCoding::kBiasErrorEncoding);
  }
  ASSERT_TRUE(sim::Run(b->sim, {}).ok());
  const NandDie::Stats& s = b->array.dies[0][0]->stats();
  const double codewords = static_cast<double>(s.pages_read) * 16;
  ASSERT_EQ(s.pages_read, 4u * 4 * 256);
  // Reads of a block accumulate read disturb; with gamma = 1e-6 and < 1100
  // reads per block the RBER moves by < 0.2%, far below the test's tolerance.
  const RberModel m(c.reliability, 1024);
  const double p = m.Rber(3, BlockCoding::kBiasErrorEncoding, 0, 4000, 1.0, 0);
  const double expected = CodewordFailureProbability(8192, 5, p) * codewords;
  std::printf("ECCLITE t=5: %llu failed codewords of %.0f, analytic %.1f\n",
              static_cast<unsigned long long>(s.ecclite_failed_codewords), codewords, expected);
  EXPECT_NEAR(static_cast<double>(s.ecclite_failed_codewords), expected, 4 * std::sqrt(expected));
  // Counting: the responses add up to the die's counters.
  uint64_t uncorrectable = 0, corrected = 0, bit_errors = 0;
  for (const auto& r : b->requester->received) {
    uncorrectable += r.response.uncorrectable_pages;
    corrected += r.response.corrected_codewords;
    bit_errors += r.response.bit_errors;
    EXPECT_EQ(r.response.status, r.response.uncorrectable_pages ? NandStatus::kUncorrectable : NandStatus::kOk);
  }
  EXPECT_EQ(uncorrectable, s.ecclite_failed_pages);
  EXPECT_EQ(corrected, s.ecclite_corrected_codewords);
  EXPECT_EQ(bit_errors, s.bit_errors);
  EXPECT_GT(s.ecclite_failed_pages, 0u);
}

// LDPC on worn default-coded LSB pages (5.6K P/E, 1 year: about 59 errors
// per KiB on average, t = 72): some pages exceed t and are re-read.
// Every decode is a page read (originals + retries); every failed decode is
// either retried or counted uncorrectable; every retry is a real array read.
TEST(NandEccSimTest, LdpcRetriesAreRealArrayReadsAndCountsAddUp) {
  NandConfig c = WornConfig(EccKind::kLdpc, 1, 1);
  c.reliability.initial_pe_cycles = 5600;  // past end of life: the worst codeword straddles t
  c.ecc.ldpc_t = 72;
  c.ecc.max_read_retries = 2;
  c.ecc.retry_rber_factor = 0.8;
  auto b = MakeBench(c, {{0, MultiPlaneRead(1, 0, 0, 128, 3)}, {0, MultiPlaneRead(2, 0, 1, 128, 3)}}, kLink);
  ASSERT_TRUE(sim::Run(b->sim, {}).ok());
  const NandDie::Stats& d = b->array.dies[0][0]->stats();
  const NandChannel::Stats& ch = b->array.channels[0]->stats();
  std::printf("LDPC: %llu page reads, %llu retries, %llu uncorrectable, %llu iterations\n",
              static_cast<unsigned long long>(d.pages_read), static_cast<unsigned long long>(ch.read_retries),
              static_cast<unsigned long long>(ch.uncorrectable_pages),
              static_cast<unsigned long long>(ch.ldpc_iterations));
  EXPECT_EQ(ch.ldpc_decodes, d.pages_read);
  EXPECT_EQ(d.retry_reads, ch.read_retries);
  EXPECT_EQ(d.pages_read, 2u * 4 * 128 + d.retry_reads);
  EXPECT_GT(ch.read_retries, 0u);
  EXPECT_LT(ch.read_retries, d.pages_read);  // some decode at once, some need a retry
  EXPECT_GT(ch.corrected_codewords, 0u);
  EXPECT_GE(ch.ldpc_iterations, ch.ldpc_decodes);
  // Bytes on the bus: every page read went out once.
  EXPECT_EQ(ch.bytes_out, d.pages_read * 16384);
  uint64_t retries = 0, uncorrectable = 0;
  for (const auto& r : b->requester->received) {
    retries += r.response.read_retries;
    uncorrectable += r.response.uncorrectable_pages;
  }
  EXPECT_EQ(retries, ch.read_retries);
  EXPECT_EQ(uncorrectable, ch.uncorrectable_pages);
  // A page fails its last retry only after max_read_retries retries.
  EXPECT_LE(ch.uncorrectable_pages * c.ecc.max_read_retries, ch.read_retries);
}

// Each retry level L scales the RBER by f^L (retry_rber_factor f). With
// t = 0 a page decodes only if all 16 x 8192 bits are clean, so a read at
// RBER p fails with probability 1 - (1 - p)^131072 (the sampler is exact
// binomial per codeword). Worn LSB pages (p ~ 7e-3) with f = 0.03 fail the
// first read and the first retry all but surely (131072 p f ~ 28), and the
// second retry about half the time (131072 p f^2 ~ 0.85): the uncorrectable
// count pins f^2 at level 2 (a retry that used f at every level would leave
// every page uncorrectable).
TEST(NandEccSimTest, EachRetryLevelScalesTheRberByTheFactorToThePowerOfTheLevel) {
  NandConfig c = WornConfig(EccKind::kLdpc, 1, 1);
  c.reliability.initial_pe_cycles = 5600;
  c.ecc.ldpc_t = 0;
  c.ecc.max_read_retries = 2;
  const double f = 0.03;
  c.ecc.retry_rber_factor = f;
  auto b = MakeBench(c, {{0, MultiPlaneRead(1, 0, 0, 128, 3)}, {0, MultiPlaneRead(2, 0, 1, 128, 3)}}, kLink);
  ASSERT_TRUE(sim::Run(b->sim, {}).ok());
  const NandChannel::Stats& ch = b->array.channels[0]->stats();
  const double pages = 2.0 * 4 * 128;
  // Read disturb over < 400 reads per block moves p by < 0.1%: ignored.
  const double p = RberModel(c.reliability, 1024).Rber(3, BlockCoding::kDefault, 0, 5600, 1.0, 0);
  const double bits = 16.0 * 8192;
  auto fails = [&](double rber) { return 1 - std::pow(1 - rber, bits); };
  const double p0 = fails(p), p1 = fails(p * f), p2 = fails(p * f * f);
  const double expected_retries = pages * (p0 + p0 * p1);
  const double expected_uncorrectable = pages * p0 * p1 * p2;
  std::printf("retry levels: p = %.3g, page failure %.4f / %.4f / %.4f; retries %llu (analytic %.1f), "
              "uncorrectable %llu (analytic %.1f)\n",
              p, p0, p1, p2, static_cast<unsigned long long>(ch.read_retries), expected_retries,
              static_cast<unsigned long long>(ch.uncorrectable_pages), expected_uncorrectable);
  ASSERT_GT(p1, 0.999);  // the parameters do what the comment says
  ASSERT_GT(p2, 0.2);
  ASSERT_LT(p2, 0.8);
  EXPECT_NEAR(static_cast<double>(ch.read_retries), expected_retries, 1.0);
  // Binomial(pages, p0 p1 p2): 4 standard deviations.
  const double sd = std::sqrt(pages * p2 * (1 - p2));
  EXPECT_NEAR(static_cast<double>(ch.uncorrectable_pages), expected_uncorrectable, 4 * sd);
}

// The determinism contract: a multi-channel, multi-die run with random bit
// errors, LDPC retries, programs and erases gives the same digest and the
// same responses on 1 and 2 partitions with both sync algorithms.
TEST(NandEccSimTest, MultiDieRunIsIdenticalOnOneAndTwoPartitions) {
  auto build = [] {
    NandConfig c = WornConfig(EccKind::kLdpc, 2, 2);
    c.reliability.initial_pe_cycles = 8000;
    c.timing.cr_read = true;
    std::vector<TestRequester::Scripted> script;
    uint64_t id = 0;
    for (uint32_t ch = 0; ch < 2; ++ch) {
      for (uint8_t d = 0; d < 2; ++d) {
        script.push_back({ch, MultiPlaneRead(++id, d, 0, 64, 1)});
        NandRequest erase;
        erase.id = ++id;
        erase.op = NandOp::kErase;
        erase.die = d;
        erase.block = 2;
        erase.plane_count = 4;
        script.push_back({ch, erase, SimTime::Microseconds(10)});
        NandRequest prog;
        prog.id = ++id;
        prog.op = NandOp::kProgram;
        prog.die = d;
        prog.block = 2;
        prog.page_count = 3;
        prog.plane_count = 2;
        prog.flags = kFlagBeEnc;
        script.push_back({ch, prog, SimTime::Microseconds(20)});
        script.push_back({ch, MultiPlaneRead(++id, d, 2, 1, 1), SimTime::Microseconds(30)});
        script.push_back({ch, MultiPlaneRead(++id, d, 3, 100, 3), SimTime::Microseconds(40)});
      }
    }
    return MakeBench(c, script, kLink);
  };
  uint64_t reference = 0;
  std::vector<TestRequester::Received> reference_log;
  for (int partitions : {1, 2}) {
    for (auto sync : {sim::SyncAlgorithm::kWindow, sim::SyncAlgorithm::kNullMessage}) {
      auto b = build();
      sim::RunOptions o;
      o.partitions = partitions;
      o.sync = sync;
      o.seed = 42;
      auto r = sim::Run(b->sim, o);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(b->requester->received.size(), 20u);
      if (reference == 0) {
        reference = r->digest;
        reference_log = b->requester->received;
        uint64_t retries = 0;
        for (const auto& x : reference_log) retries += x.response.read_retries;
        EXPECT_GT(retries, 0u);  // the run exercises the random retry path
        continue;
      }
      EXPECT_EQ(r->digest, reference) << partitions << " partitions, " << sim::SyncAlgorithmName(sync);
      ASSERT_EQ(b->requester->received.size(), reference_log.size());
      for (size_t i = 0; i < reference_log.size(); ++i) {
        EXPECT_EQ(b->requester->received[i].time, reference_log[i].time);
        EXPECT_EQ(b->requester->received[i].response.bit_errors, reference_log[i].response.bit_errors);
      }
    }
  }
  // A different seed changes the random draws and so the digest.
  auto b = build();
  sim::RunOptions o;
  o.seed = 43;
  auto r = sim::Run(b->sim, o);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->digest, reference);
}

TEST(NandEccSimTest, StatisticsAreReportedPerDieAndChannel) {
  NandConfig c = WornConfig(EccKind::kLdpc, 1, 1);
  auto b = MakeBench(c, {{0, MultiPlaneRead(1, 0, 0, 4, 1)}}, kLink);
  ASSERT_TRUE(sim::Run(b->sim, {}).ok());
  std::vector<sim::Statistic> die_stats, ch_stats;
  b->array.dies[0][0]->CollectStatistics(&die_stats);
  b->array.channels[0]->CollectStatistics(&ch_stats);
  auto value = [](const std::vector<sim::Statistic>& v, const std::string& name) {
    for (const auto& s : v) {
      if (s.name == name) return s.value;
    }
    return -1.0;
  };
  EXPECT_EQ(value(die_stats, "pages_read_total"), 16.0);
  EXPECT_EQ(value(die_stats, "bytes_out_total"), 16.0 * 16384);
  EXPECT_GT(value(die_stats, "busy_seconds"), 0.0);
  EXPECT_EQ(value(ch_stats, "bytes_out_total"), 16.0 * 16384);
  EXPECT_EQ(value(ch_stats, "ldpc_decodes_total"), 16.0);
  EXPECT_GT(value(ch_stats, "bus_busy_seconds"), 0.0);
}

}  // namespace
}  // namespace strata::nand
