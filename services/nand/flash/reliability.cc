#include "flash/reliability.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

namespace strata::nand {

double LogBinomialUpperTail(uint64_t n, uint64_t k, double p) {
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();
  if (k == 0) return 0.0;
  if (k > n || p <= 0) return kNegInf;
  if (p >= 1) return 0.0;
  const double nd = static_cast<double>(n);
  const double lp = std::log(p);
  const double lq = std::log1p(-p);
  const double lgn = std::lgamma(nd + 1);
  auto log_pmf = [&](uint64_t j) {
    const double jd = static_cast<double>(j);
    return lgn - std::lgamma(jd + 1) - std::lgamma(nd - jd + 1) + jd * lp + (nd - jd) * lq;
  };
  // Sum from k upward. Terms rise up to the mode then fall geometrically;
  // stop once past the mode and a term is 1e-17 of the running maximum.
  const double mode = std::floor((nd + 1) * p);
  double max_term = log_pmf(k);
  double sum = 1.0;  // sum of exp(term - max_term)
  for (uint64_t j = k + 1; j <= n; ++j) {
    const double term = log_pmf(j);
    if (term > max_term) {
      sum = sum * std::exp(max_term - term) + 1.0;
      max_term = term;
    } else {
      sum += std::exp(term - max_term);
      if (static_cast<double>(j) > mode && term < max_term - 40) break;
    }
  }
  return std::min(0.0, max_term + std::log(sum));
}

double CodewordFailureProbability(uint64_t n_bits, uint64_t t, double p) {
  return std::exp(LogBinomialUpperTail(n_bits, t + 1, p));
}

namespace {

// The anchors' solve (two 200-step bisections of a binomial tail) is the same
// for every die of a drive: each die's RberModel solved it again, ~13% of
// building the 64-die drive of
// configs/ssd-io-mqsim-mlc-randread-4k.textproto. Solved once per (n, max_errors, tail) instead;
// the value is a pure function of the three, so results do not change.
struct AnchorMemo {
  std::mutex mu;
  std::map<std::tuple<uint64_t, uint64_t, double>, double> solved;
};

double SolveRberForObservedMaximum(uint64_t n_bits, uint64_t max_errors, double tail) {
  // The tail grows monotonically with p: bisect on log p.
  const double target = std::log(tail);
  double lo = std::log(1e-12), hi = std::log(0.5);
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (LogBinomialUpperTail(n_bits, max_errors, std::exp(mid)) < target) lo = mid; else hi = mid;
  }
  return std::exp(0.5 * (lo + hi));
}

}  // namespace

double RberForObservedMaximum(uint64_t n_bits, uint64_t max_errors, double tail) {
  static AnchorMemo* const memo = new AnchorMemo;
  const auto key = std::make_tuple(n_bits, max_errors, tail);
  {
    std::lock_guard<std::mutex> lock(memo->mu);
    if (auto it = memo->solved.find(key); it != memo->solved.end()) return it->second;
  }
  const double p = SolveRberForObservedMaximum(n_bits, max_errors, tail);
  std::lock_guard<std::mutex> lock(memo->mu);
  memo->solved.emplace(key, p);
  return p;
}

RberModel::RberModel(const ReliabilityConfig& config, uint32_t codeword_bytes) : config_(config) {
  const uint64_t bits = uint64_t{codeword_bytes} * 8;
  // (2,3,2) LSB reads 2 levels; be-enc LSB reads 1 (page_coding.h).
  per_level_default_ =
      RberForObservedMaximum(bits, config.anchor_max_errors_default_lsb, config.anchor_tail_probability) / 2.0;
  be_enc_lsb_ = RberForObservedMaximum(bits, config.anchor_max_errors_be_enc_lsb, config.anchor_tail_probability);
  anchor_shape_ = Shape(config.anchor_pe_kilocycles * 1000.0, config.anchor_retention_years, 0);
}

double RberModel::Shape(double pe_cycles, double retention_years, double block_reads) const {
  const ReliabilityConfig& c = config_;
  const double n = pe_cycles / 1000.0;
  // A block that was never cycled has no wear terms (0^k = 0 for k > 0):
  // skip the three pow calls that every page read would otherwise pay.
  if (n == 0 && c.k > 0 && c.m > 0) return c.eps;
  const double wear = std::pow(n, c.k);
  return c.eps + c.alpha * wear + c.beta * std::pow(n, c.m) * std::pow(retention_years, c.n) +
         c.gamma * wear * block_reads;
}

double RberModel::Rber(uint32_t bits_per_cell, BlockCoding coding, uint32_t page_type, double pe_cycles,
                       double retention_years, double block_reads) const {
  if (!config_.enabled) return 0;
  const auto levels = ReadLevels(bits_per_cell, coding, page_type);
  if (!levels.ok()) return 0;
  const double at_anchor = (coding == BlockCoding::kBiasErrorEncoding && page_type == 0)
                               ? be_enc_lsb_
                               : per_level_default_ * static_cast<double>(*levels);
  return std::min(0.5, at_anchor * Shape(pe_cycles, retention_years, block_reads) / anchor_shape_);
}

namespace {

// Errors in a codeword known to have at least one: the binomial conditioned
// on X >= 1, by inversion from k = 1 (the mean is a handful of bits), or by
// redrawing when most codewords have errors anyway.
uint32_t DrawErrorsGivenSome(sim::RandomStream& random, uint32_t bits, double rber, double p_any,
                             double p_one_given_any) {
  if (p_any > 0.5) {
    for (;;) {
      if (const uint64_t x = random.Binomial(bits, rber); x > 0) return static_cast<uint32_t>(x);
    }
  }
  const double ratio = rber / (1 - rber);
  double pmf = p_one_given_any;
  double cdf = pmf;
  const double u = random.Uniform01();
  uint32_t k = 1;
  while (u > cdf && k < bits) {
    pmf *= ratio * static_cast<double>(bits - k) / static_cast<double>(k + 1);
    ++k;
    cdf += pmf;
    if (pmf < 1e-300) break;  // float exhaustion: the tail mass is negligible
  }
  return k;
}

}  // namespace

PageErrors PageErrorSampler::Draw(sim::RandomStream& random, uint32_t codewords, uint32_t codeword_bits, double rber,
                                  uint32_t ecclite_t) {
  PageErrors e;
  if (rber <= 0) return e;
  // First how many codewords have any error, then each of those given that
  // it has some. A clean page (the common case: RBER ~1e-6 over 8192 bits)
  // costs one draw, not one per codeword; decoding a 70B model reads
  // millions of pages per token, so this is most of the NAND model's time.
  if (codeword_bits != bits_ || rber != rber_) {
    bits_ = codeword_bits;
    rber_ = rber;
    p_any_ = -std::expm1(static_cast<double>(codeword_bits) * std::log1p(-rber));
    p_one_given_any_ =
        static_cast<double>(codeword_bits) * rber * std::exp((codeword_bits - 1.0) * std::log1p(-rber)) / p_any_;
  }
  const auto dirty = static_cast<uint32_t>(random.Binomial(codewords, p_any_));
  for (uint32_t i = 0; i < dirty; ++i) {
    const uint32_t errors = DrawErrorsGivenSome(random, codeword_bits, rber, p_any_, p_one_given_any_);
    e.total += errors;
    e.max_per_codeword = std::max(e.max_per_codeword, errors);
    ++e.codewords_with_errors;
    if (errors > ecclite_t) ++e.codewords_over_ecclite_t;
  }
  return e;
}

PageErrors DrawPageErrors(sim::RandomStream& random, uint32_t codewords, uint32_t codeword_bits, double rber,
                          uint32_t ecclite_t) {
  return PageErrorSampler().Draw(random, codewords, codeword_bits, rber, ecclite_t);
}

namespace {

// Pages hit by `failed` codewords chosen uniformly without replacement among
// pages x codewords_per_page.
uint64_t DrawPagesHit(sim::RandomStream& random, uint64_t pages, uint32_t codewords_per_page, uint64_t failed) {
  if (failed == 0) return 0;
  constexpr uint64_t kExactDraws = 64;
  const uint64_t codewords = pages * codewords_per_page;
  if (failed <= kExactDraws) {
    std::vector<uint64_t> chosen;
    chosen.reserve(failed);
    while (chosen.size() < failed) {
      const uint64_t c = random.UniformInt(codewords);
      if (std::find(chosen.begin(), chosen.end(), c) == chosen.end()) chosen.push_back(c);
    }
    std::vector<uint64_t> hit;
    for (uint64_t c : chosen) {
      const uint64_t page = c / codewords_per_page;
      if (std::find(hit.begin(), hit.end(), page) == hit.end()) hit.push_back(page);
    }
    return hit.size();
  }
  // Expected distinct pages: each page escapes all `failed` with probability
  // (1 - failed / codewords)^codewords_per_page (sampling without
  // replacement, to first order).
  const double escape =
      std::pow(1.0 - static_cast<double>(failed) / static_cast<double>(codewords), codewords_per_page);
  const auto expected = static_cast<uint64_t>(std::llround(static_cast<double>(pages) * (1.0 - escape)));
  return std::clamp<uint64_t>(expected, 1, std::min(pages, failed));
}

}  // namespace

const RunErrorSampler::Law& RunErrorSampler::LawFor(uint32_t bits, double rber, uint32_t t) {
  for (const Law& law : laws_) {
    if (law.bits == bits && law.rber == rber && law.t == t) return law;
  }
  Law& law = laws_[next_];
  next_ = (next_ + 1) % kLaws;
  const double n = bits;
  law.bits = bits;
  law.t = t;
  law.rber = rber;
  law.p_any = -std::expm1(n * std::log1p(-rber));
  law.p_one_given_any = n * rber * std::exp((n - 1.0) * std::log1p(-rber)) / law.p_any;
  law.over_given_any = std::min(1.0, CodewordFailureProbability(bits, t, rber) / law.p_any);
  // E[X^2 | X >= 1] = (n p (1 - p) + (n p)^2) / p_any.
  const double np = n * rber;
  law.mean_given_any = np / law.p_any;
  law.var_given_any =
      std::max(0.0, (np * (1 - rber) + np * np) / law.p_any - law.mean_given_any * law.mean_given_any);
  return law;
}

RunErrors RunErrorSampler::Draw(sim::RandomStream& random, uint64_t pages, uint32_t codewords_per_page,
                                uint32_t codeword_bits, double rber, uint32_t ecclite_t) {
  RunErrors e;
  if (rber <= 0 || pages == 0) return e;
  const Law& law = LawFor(codeword_bits, rber, ecclite_t);
  e.codewords_with_errors = random.Binomial(pages * codewords_per_page, law.p_any);
  constexpr uint64_t kExactCodewords = 64;
  if (e.codewords_with_errors <= kExactCodewords) {
    for (uint64_t i = 0; i < e.codewords_with_errors; ++i) {
      const uint32_t errors = DrawErrorsGivenSome(random, codeword_bits, rber, law.p_any, law.p_one_given_any);
      e.total += errors;
      if (errors > ecclite_t) ++e.codewords_over_ecclite_t;
    }
  } else {
    const double k = static_cast<double>(e.codewords_with_errors);
    e.codewords_over_ecclite_t = random.Binomial(e.codewords_with_errors, law.over_given_any);
    const double draw = std::floor(random.Normal(k * law.mean_given_any, std::sqrt(k * law.var_given_any)) + 0.5);
    e.total = static_cast<uint64_t>(std::clamp(draw, k, k * codeword_bits));
  }
  e.pages_over_ecclite_t = DrawPagesHit(random, pages, codewords_per_page, e.codewords_over_ecclite_t);
  return e;
}

RunErrors DrawRunErrors(sim::RandomStream& random, uint64_t pages, uint32_t codewords_per_page,
                        uint32_t codeword_bits, double rber, uint32_t ecclite_t) {
  return RunErrorSampler().Draw(random, pages, codewords_per_page, codeword_bits, rber, ecclite_t);
}

SimTime EccLiteLatency(const EccConfig& ecc, uint32_t bytes) { return sim::TransferTime(bytes, ecc.ecclite_bytes_per_s); }

LdpcOutcome LdpcDecode(const EccConfig& ecc, uint32_t max_errors) {
  LdpcOutcome o;
  o.success = max_errors <= ecc.ldpc_t;
  // A failing decode runs to its iteration cap: the cap is what t errors need.
  const uint32_t errors = o.success ? max_errors : ecc.ldpc_t;
  o.iterations = std::max<uint32_t>(1, (errors + ecc.ldpc_errors_per_iteration - 1) / ecc.ldpc_errors_per_iteration);
  o.latency = ecc.ldpc_base_latency + ecc.ldpc_iteration_latency * o.iterations;
  return o;
}

}  // namespace strata::nand
