#include "ftl/wa_model.h"

#include <cmath>

namespace strata::controller {

namespace {

// H(v) for real v >= 0: H_n plus the linear share of 1 / (n + 1).
double Harmonic(double v) {
  const uint64_t n = static_cast<uint64_t>(std::floor(v));
  double h = 0;
  for (uint64_t k = 1; k <= n; ++k) h += 1.0 / static_cast<double>(k);
  return h + (v - static_cast<double>(n)) / static_cast<double>(n + 1);
}

}  // namespace

double GreedyUniformWa(double spare_factor, uint32_t pages_per_block) {
  const double alpha = 1.0 / (1.0 - spare_factor);
  const double b = pages_per_block;
  const double hb = Harmonic(b);
  // f(v) = b (H_b - H(v)) / (b - v) falls from H_b at v = 0 to 1 as v -> b;
  // bisect f(v) = alpha (alpha in (1, H_b) for any useful spare factor).
  double lo = 0.0, hi = b;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    const double f = b * (hb - Harmonic(mid)) / (b - mid);
    if (f > alpha) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return b / (b - 0.5 * (lo + hi));
}

double LrwUniformWa(double spare_factor) {
  const double alpha = 1.0 / (1.0 - spare_factor);
  // g(x) = x - exp(-alpha (1 - x)) is concave, g(0) < 0, g(1) = 0 (the trivial
  // root) and g(1 - e) ~ (alpha - 1) e > 0: exactly one root in (0, 1), and g
  // changes sign there. Bisect.
  double lo = 0.0, hi = 1.0 - 1e-12;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid - std::exp(-alpha * (1.0 - mid)) < 0) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return 1.0 / (1.0 - 0.5 * (lo + hi));
}

}  // namespace strata::controller
