#include "ftl/wa_model.h"

#include <cmath>

#include "gtest/gtest.h"

namespace strata::controller {
namespace {

TEST(WaModelTest, GreedyWithTwoPagesPerBlockMatchesHandSolution) {
  // b = 2, S_f = 0.2 -> alpha = 1.25. For v in [0, 1): H(v) = v, so
  // 2 (1.5 - v) / (2 - v) = 1.25 -> v = (3 - 2.5) / (2 - 1.25) = 2/3,
  // WA = 2 / (2 - 2/3) = 1.5.
  EXPECT_NEAR(GreedyUniformWa(0.2, 2), 1.5, 1e-9);
}

TEST(WaModelTest, LrwLimitSolvesItsFixedPoint) {
  for (double sf : {0.07, 0.1, 0.28, 0.5}) {
    const double alpha = 1.0 / (1.0 - sf);
    const double x = 1.0 - 1.0 / LrwUniformWa(sf);
    EXPECT_NEAR(x, std::exp(-alpha * (1.0 - x)), 1e-9) << sf;
    EXPECT_GT(x, 0.0);
  }
}

TEST(WaModelTest, GreedyRisesWithPagesPerBlockTowardsTheLrwLimit) {
  // Bux & Iliadis 2010, finding (iii): WA increases with pages per block and
  // approaches an upper bound, the b -> infinity (LRW) value.
  for (double sf : {0.07, 0.28}) {
    double prev = 1.0;
    for (uint32_t b : {16u, 64u, 256u, 1024u}) {
      const double wa = GreedyUniformWa(sf, b);
      EXPECT_GT(wa, prev);
      EXPECT_LT(wa, LrwUniformWa(sf));
      prev = wa;
    }
    EXPECT_NEAR(GreedyUniformWa(sf, 8192) / LrwUniformWa(sf), 1.0, 0.003);
  }
}

}  // namespace
}  // namespace strata::controller
