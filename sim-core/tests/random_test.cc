#include "strata/sim/random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace strata::sim {
namespace {

TEST(RandomStreamTest, SameSeedAndStreamGiveSameSequence) {
  RandomStream a(42, 7), b(42, 7);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.NextU64(), b.NextU64());
}

TEST(RandomStreamTest, NeighbouringStreamsAndSeedsDiffer) {
  RandomStream a(42, 7), b(42, 8), c(43, 7);
  int same_ab = 0, same_ac = 0;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t x = a.NextU64();
    same_ab += x == b.NextU64();
    same_ac += x == c.NextU64();
  }
  EXPECT_EQ(same_ab, 0);
  EXPECT_EQ(same_ac, 0);
}

TEST(RandomStreamTest, UniformIntStaysInRangeAndCoversIt) {
  RandomStream r(1, 1);
  std::vector<int> hits(10, 0);
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t v = r.UniformInt(10);
    ASSERT_LT(v, 10u);
    ++hits[v];
  }
  // Each bin expects 10000 with sd ~95; 5 sd is a generous bound.
  for (int h : hits) EXPECT_NEAR(h, 10'000, 500);
}

TEST(RandomStreamTest, ExponentialHasItsMean) {
  RandomStream r(3, 9);
  double sum = 0;
  const int n = 200'000;
  for (int i = 0; i < n; ++i) sum += r.Exponential(5.0);
  // Standard error of the mean: 5 / sqrt(n) = 0.011.
  EXPECT_NEAR(sum / n, 5.0, 0.06);
}

TEST(RandomStreamTest, BinomialHasMeanAndVarianceOfNP) {
  // 8192 bits per 1 KiB codeword at RBER 1e-3: mean 8.19 errors (small-mean path)
  // and at RBER 0.01: mean 81.9 (normal path).
  for (double p : {1e-3, 1e-2}) {
    RandomStream r(5, 5);
    const int trials = 50'000;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < trials; ++i) {
      const double k = static_cast<double>(r.Binomial(8192, p));
      sum += k;
      sum2 += k * k;
    }
    const double mean = sum / trials, var = sum2 / trials - mean * mean;
    const double np = 8192 * p, npq = np * (1 - p);
    EXPECT_NEAR(mean, np, 5 * std::sqrt(npq / trials)) << "p=" << p;
    EXPECT_NEAR(var, npq, 0.05 * npq) << "p=" << p;
  }
  RandomStream r(1, 1);
  EXPECT_EQ(r.Binomial(100, 0.0), 0u);
  EXPECT_EQ(r.Binomial(100, 1.0), 100u);
}

}  // namespace
}  // namespace strata::sim
