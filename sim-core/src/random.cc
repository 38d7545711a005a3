#include "strata/sim/random.h"

#include <cmath>

namespace strata::sim {

RandomStream::RandomStream(uint64_t run_seed, uint64_t stream_id) {
  // Two rounds of mixing so that neighbouring (seed, id) pairs give
  // unrelated streams; then splitmix64 fills the xoshiro state.
  uint64_t x = Mix64(Mix64(run_seed) ^ (stream_id * 0xD1B54A32D192ED03ULL));
  for (uint64_t& word : s_) {
    x += 0x9E3779B97F4A7C15ULL;
    word = Mix64(x);
  }
}

uint64_t RandomStream::UniformInt(uint64_t n) {
  // Lemire, "Fast Random Integer Generation in an Interval" (2019).
  unsigned __int128 m = static_cast<unsigned __int128>(NextU64()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(NextU64()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

double RandomStream::Exponential(double mean) {
  // 1 - U is in (0, 1], so the log is finite.
  return -mean * std::log(1.0 - Uniform01());
}

double RandomStream::Normal(double mean, double stddev) {
  const double u1 = 1.0 - Uniform01();
  const double u2 = Uniform01();
  return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

uint64_t RandomStream::Binomial(uint64_t n, double p) {
  if (n == 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const bool flip = p > 0.5;
  const double q = flip ? 1 - p : p;
  const double mean = static_cast<double>(n) * q;
  uint64_t k;
  if (mean < 30) {
    // Inversion by sequential search over the pmf: exact, and cheap while
    // the mean is small (bit errors per codeword are a handful).
    const double ratio = q / (1 - q);
    if (n != binomial_n_ || q != binomial_q_) {
      binomial_n_ = n;
      binomial_q_ = q;
      binomial_p0_ = std::pow(1 - q, static_cast<double>(n));
    }
    double pmf = binomial_p0_;
    double cdf = pmf;
    const double u = Uniform01();
    k = 0;
    while (u > cdf && k < n) {
      pmf *= ratio * static_cast<double>(n - k) / static_cast<double>(k + 1);
      ++k;
      cdf += pmf;
      if (pmf < 1e-300 && cdf < u) break;  // float exhaustion: tail mass is negligible
    }
  } else {
    // Normal approximation with continuity correction (mean >= 30).
    const double draw = std::floor(Normal(mean, std::sqrt(mean * (1 - q))) + 0.5);
    k = draw < 0 ? 0 : (draw > static_cast<double>(n) ? n : static_cast<uint64_t>(draw));
  }
  return flip ? n - k : k;
}

}  // namespace strata::sim
