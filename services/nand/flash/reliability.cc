#include "flash/reliability.h"

#include <algorithm>
#include <cmath>
#include <limits>

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

double RberForObservedMaximum(uint64_t n_bits, uint64_t max_errors, double tail) {
  // The tail grows monotonically with p: bisect on log p.
  const double target = std::log(tail);
  double lo = std::log(1e-12), hi = std::log(0.5);
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (LogBinomialUpperTail(n_bits, max_errors, std::exp(mid)) < target) lo = mid; else hi = mid;
  }
  return std::exp(0.5 * (lo + hi));
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

PageErrors DrawPageErrors(sim::RandomStream& random, uint32_t codewords, uint32_t codeword_bits, double rber,
                          uint32_t ecclite_t) {
  PageErrors e;
  if (rber <= 0) return e;
  for (uint32_t i = 0; i < codewords; ++i) {
    const auto errors = static_cast<uint32_t>(random.Binomial(codeword_bits, rber));
    e.total += errors;
    e.max_per_codeword = std::max(e.max_per_codeword, errors);
    if (errors > 0) ++e.codewords_with_errors;
    if (errors > ecclite_t) ++e.codewords_over_ecclite_t;
  }
  return e;
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
