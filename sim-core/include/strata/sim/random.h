// RandomStream: a component's private random number stream.
//
// Every component owns one stream seeded from (run seed, component id), so
// the numbers a component draws do not depend on which partition or thread
// runs it, nor on what other components draw. Generator: xoshiro256**
// (Blackman & Vigna, 2018), seeded through splitmix64 as its authors advise.
// Distributions are implemented here rather than taken from <random>,
// whose distributions differ between standard libraries.
#ifndef STRATA_SIM_RANDOM_H_
#define STRATA_SIM_RANDOM_H_

#include <cstdint>

namespace strata::sim {

// splitmix64 finaliser: a strong 64-bit mixer, also used for digests.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

class RandomStream {
 public:
  RandomStream() : RandomStream(0, 0) {}
  RandomStream(uint64_t run_seed, uint64_t stream_id);

  uint64_t NextU64() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 53 random bits.
  double Uniform01() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift, unbiased).
  uint64_t UniformInt(uint64_t n);
  bool Bernoulli(double p) { return Uniform01() < p; }
  // Exponential with the given mean.
  double Exponential(double mean);
  // Standard normal (Box-Muller, one value per call; deterministic).
  double Normal(double mean, double stddev);
  // Number of successes in n trials of probability p. Exact inversion for
  // small n*p, normal approximation beyond (documented in random.cc).
  uint64_t Binomial(uint64_t n, double p);

 private:
  static constexpr uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  // Binomial's P(X = 0) = (1 - q)^n for the last (n, q): callers draw many
  // times with the same parameters (bit errors per codeword), and pow()
  // dominated their cost. A cache of a pure function: results unchanged.
  uint64_t binomial_n_ = 0;
  double binomial_q_ = -1;
  double binomial_p0_ = 0;
};

}  // namespace strata::sim

#endif  // STRATA_SIM_RANDOM_H_
