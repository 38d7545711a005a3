#include "flash/reliability.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

namespace strata::nand {
namespace {

// Direct sum of the binomial upper tail P(X > t), pmf by the exact recurrence
// pmf(j+1) = pmf(j) * (n-j)/(j+1) * p/(1-p), in long double.
long double DirectTail(uint64_t n, uint64_t t, long double p) {
  long double pmf = std::pow(1.0L - p, static_cast<long double>(n));
  long double below = 0;
  for (uint64_t j = 0; j <= t; ++j) {
    below += pmf;
    pmf *= static_cast<long double>(n - j) / static_cast<long double>(j + 1) * p / (1.0L - p);
  }
  long double tail = 0;
  for (uint64_t j = t + 1; j <= n && pmf > 0; ++j) {
    tail += pmf;
    pmf *= static_cast<long double>(n - j) / static_cast<long double>(j + 1) * p / (1.0L - p);
  }
  (void)below;
  return tail;
}

TEST(ReliabilityTest, AnalyticCodewordFailureMatchesDirectBinomialSum) {
  const uint64_t n = 8192;  // 1 KiB codeword
  for (double p : {1e-5, 1e-4, 3e-4, 1e-3, 3e-3}) {
    for (uint64_t t : {0u, 1u, 10u, 40u}) {
      const double analytic = CodewordFailureProbability(n, t, p);
      const long double direct = DirectTail(n, t, p);
      EXPECT_NEAR(analytic / static_cast<double>(direct), 1.0, 1e-9) << "p=" << p << " t=" << t;
    }
  }
  // t = 0: P(X >= 1) = 1 - (1-p)^n exactly.
  EXPECT_NEAR(CodewordFailureProbability(n, 0, 1e-4) / (1 - std::pow(1 - 1e-4, 8192.0)), 1.0, 1e-10);
  // Deep tails stay finite and positive in log space where a linear sum underflows.
  EXPECT_GT(LogBinomialUpperTail(n, 200, 1e-5), -3000.0);
  EXPECT_TRUE(std::isinf(LogBinomialUpperTail(n, 1, 0.0)));
  EXPECT_EQ(LogBinomialUpperTail(n, 0, 0.3), 0.0);
}

TEST(ReliabilityTest, ObservedMaximumInvertsTheTail) {
  const double p = RberForObservedMaximum(8192, 9, 1e-3);
  EXPECT_NEAR(std::exp(LogBinomialUpperTail(8192, 9, p)), 1e-3, 1e-9);
}

TEST(ReliabilityTest, RberIsCalibratedToAifAnchorsAndOrdered) {
  const ReliabilityConfig c;
  const RberModel m(c, 1024);
  const double pe = 4000, ret = 1.0;
  const double lsb = m.Rber(3, BlockCoding::kDefault, 0, pe, ret, 0);
  const double csb = m.Rber(3, BlockCoding::kDefault, 1, pe, ret, 0);
  const double be_lsb = m.Rber(3, BlockCoding::kBiasErrorEncoding, 0, pe, ret, 0);
  const double be_msb = m.Rber(3, BlockCoding::kBiasErrorEncoding, 2, pe, ret, 0);
  // AiF: 49 (default LSB) and 9 (be-enc LSB) errors per KiB are the 1e-3 tail.
  EXPECT_NEAR(std::exp(LogBinomialUpperTail(8192, 49, lsb)), 1e-3, 1e-8);
  EXPECT_NEAR(std::exp(LogBinomialUpperTail(8192, 9, be_lsb)), 1e-3, 1e-8);
  EXPECT_DOUBLE_EQ(csb / lsb, 1.5);  // 3 levels vs 2
  EXPECT_LT(be_lsb, lsb);
  EXPECT_GT(be_msb, m.Rber(3, BlockCoding::kDefault, 2, pe, ret, 0));  // be-enc MSB worse (AiF)
  // Monotone in wear, retention and read disturb.
  EXPECT_LT(m.Rber(3, BlockCoding::kDefault, 0, 1000, ret, 0), lsb);
  EXPECT_LT(m.Rber(3, BlockCoding::kDefault, 0, pe, 0.1, 0), lsb);
  EXPECT_GT(m.Rber(3, BlockCoding::kDefault, 0, pe, ret, 100000), lsb);
  ReliabilityConfig off;
  off.enabled = false;
  EXPECT_EQ(RberModel(off, 1024).Rber(3, BlockCoding::kDefault, 0, pe, ret, 0), 0.0);
}

// The reviewer's question: ECCLITE (t = 10 per KiB) on be-enc LSB at AiF's
// end of life (4K P/E, 1 year). Printed, and bounded by the arithmetic: the
// anchor puts P(X >= 9) at 1e-3, so P(X >= 11) must be well below it.
TEST(ReliabilityTest, EccLiteEndOfLifeFailureRateIsAnswerable) {
  const RberModel m(ReliabilityConfig{}, 1024);
  const double p = m.Rber(3, BlockCoding::kBiasErrorEncoding, 0, 4000, 1.0, 0);
  const double fail = CodewordFailureProbability(8192, 10, p);
  std::printf("be-enc LSB at 4K P/E + 1 y: RBER %.3e, ECCLITE codeword failure %.3e, page (16 cw) %.3e\n", p, fail,
              1 - std::pow(1 - fail, 16));
  EXPECT_GT(fail, 0.0);
  EXPECT_LT(fail, 1e-3);
  EXPECT_LT(CodewordFailureProbability(8192, 10, m.Rber(3, BlockCoding::kBiasErrorEncoding, 0, 1000, 1.0, 0)), fail);
}

TEST(ReliabilityTest, DrawnErrorsFollowTheRate) {
  sim::RandomStream rng(7, 3);
  const double p = 2e-3;
  uint64_t total = 0, over = 0;
  const int pages = 2000;
  for (int i = 0; i < pages; ++i) {
    const PageErrors e = DrawPageErrors(rng, 16, 8192, p, 10);
    EXPECT_LE(e.max_per_codeword * e.codewords_with_errors, e.total * 16);
    total += e.total;
    over += e.codewords_over_ecclite_t;
  }
  const double mean = static_cast<double>(total) / (pages * 16.0);
  EXPECT_NEAR(mean, 8192 * p, 0.05 * 8192 * p);
  const double expected_over = CodewordFailureProbability(8192, 10, p) * pages * 16;
  EXPECT_NEAR(static_cast<double>(over), expected_over, 5 * std::sqrt(expected_over) + 1);
}

// A fresh block's RBER: most codewords are clean, and those with errors
// have one or two. The page draw must keep the per-codeword binomial's
// distribution: P(any error) = 1 - (1 - p)^bits and mean bits * p.
TEST(ReliabilityTest, DrawnErrorsAtLowRateKeepTheBinomialDistribution) {
  sim::RandomStream rng(11, 5);
  const double p = 2e-5;  // mean 0.164 errors per 8192-bit codeword
  uint64_t total = 0, dirty = 0, two_or_more = 0;
  const int pages = 100000;
  for (int i = 0; i < pages; ++i) {
    const PageErrors e = DrawPageErrors(rng, 16, 8192, p, 10);
    total += e.total;
    dirty += e.codewords_with_errors;
    if (e.max_per_codeword >= 2) ++two_or_more;
  }
  const double codewords = pages * 16.0;
  const double p_any = 1 - std::pow(1 - p, 8192);
  EXPECT_NEAR(dirty / codewords, p_any, 5 * std::sqrt(p_any / codewords));
  EXPECT_NEAR(total / codewords, 8192 * p, 0.02 * 8192 * p);
  // P(X >= 2) per codeword = 1 - P(0) - P(1); a page with a 2+ codeword.
  const double p0 = std::pow(1 - p, 8192), p1 = 8192 * p * std::pow(1 - p, 8191);
  const double page_two = 1 - std::pow(p0 + p1, 16);
  EXPECT_NEAR(two_or_more / static_cast<double>(pages), page_two, 5 * std::sqrt(page_two / pages));
}

// STREAM draws a run's errors at once. Over many runs its totals must have
// the mean and the spread of summing the per-page draws, at a fresh block's
// rate (few codewords with errors: drawn one by one) and a worn one's
// (thousands: binomial and normal), including ECCLITE failures and pages.
TEST(ReliabilityTest, RunDrawsHaveThePerPageLaw) {
  struct Case {
    double rber;
    uint64_t pages;
    uint32_t t;
  };
  for (const Case c : {Case{2e-5, 16, 1}, Case{2e-3, 400, 24}}) {
    SCOPED_TRACE(::testing::Message() << "rber " << c.rber << " pages " << c.pages);
    sim::RandomStream page_rng(3, 1), run_rng(3, 2);
    const int runs = 3000;
    double sum[2] = {}, sum_sq[2] = {}, dirty[2] = {}, over[2] = {}, failed_pages[2] = {};
    for (int i = 0; i < runs; ++i) {
      RunErrors by_page;
      for (uint64_t p = 0; p < c.pages; ++p) {
        const PageErrors e = DrawPageErrors(page_rng, 16, 8192, c.rber, c.t);
        by_page.total += e.total;
        by_page.codewords_with_errors += e.codewords_with_errors;
        by_page.codewords_over_ecclite_t += e.codewords_over_ecclite_t;
        by_page.pages_over_ecclite_t += e.codewords_over_ecclite_t > 0;
      }
      const RunErrors by_run = DrawRunErrors(run_rng, c.pages, 16, 8192, c.rber, c.t);
      EXPECT_LE(by_run.pages_over_ecclite_t, by_run.codewords_over_ecclite_t);
      EXPECT_LE(by_run.codewords_over_ecclite_t, by_run.codewords_with_errors);
      int k = 0;
      for (const RunErrors& e : {by_page, by_run}) {
        const double x = static_cast<double>(e.total);
        sum[k] += x;
        sum_sq[k] += x * x;
        dirty[k] += static_cast<double>(e.codewords_with_errors);
        over[k] += static_cast<double>(e.codewords_over_ecclite_t);
        failed_pages[k] += static_cast<double>(e.pages_over_ecclite_t);
        ++k;
      }
    }
    const double mean = sum[0] / runs;
    const double var = sum_sq[0] / runs - mean * mean;
    const double run_var = sum_sq[1] / runs - (sum[1] / runs) * (sum[1] / runs);
    EXPECT_NEAR(mean, c.pages * 16 * 8192 * c.rber, 0.02 * mean);
    EXPECT_NEAR(sum[1] / runs, mean, 5 * std::sqrt(2 * var / runs));
    EXPECT_NEAR(run_var / var, 1.0, 0.15);  // the spread, not only the mean
    EXPECT_NEAR(dirty[1], dirty[0], 5 * std::sqrt(dirty[0]) + 1);
    EXPECT_GT(over[0], 50);
    EXPECT_NEAR(over[1], over[0], 5 * std::sqrt(over[0]) + 1);
    EXPECT_NEAR(failed_pages[1], failed_pages[0], 5 * std::sqrt(failed_pages[0]) + 1);
  }
}

TEST(ReliabilityTest, EccLiteLatencyIsPageOverRate) {
  EccConfig e;
  // 16384 B / 6.4e9 B/s = 2.56 us.
  EXPECT_EQ(EccLiteLatency(e, 16384), sim::SimTime::Nanoseconds(2560));
}

TEST(ReliabilityTest, LdpcLatencyGrowsWithErrorsAndFailsBeyondCapability) {
  EccConfig e;  // t = 72, 8 errors per iteration, 1 us + 0.25 us per iteration
  LdpcOutcome o = LdpcDecode(e, 0);
  EXPECT_TRUE(o.success);
  EXPECT_EQ(o.iterations, 1u);
  EXPECT_EQ(o.latency, sim::SimTime::Nanoseconds(1000 + 250));
  o = LdpcDecode(e, 17);  // ceil(17 / 8) = 3
  EXPECT_TRUE(o.success);
  EXPECT_EQ(o.iterations, 3u);
  EXPECT_EQ(o.latency, sim::SimTime::Nanoseconds(1000 + 3 * 250));
  o = LdpcDecode(e, 72);
  EXPECT_TRUE(o.success);
  EXPECT_EQ(o.iterations, 9u);
  o = LdpcDecode(e, 73);
  EXPECT_FALSE(o.success);
  EXPECT_EQ(o.iterations, 9u);  // runs to its cap
}

}  // namespace
}  // namespace strata::nand
