// Reliability: raw bit error rate (RBER) per page type as a function of wear,
// retention and read disturb; bit errors per codeword drawn from a
// component's random stream; the ECCLITE and LDPC-like decoders' outcomes and
// latencies; and the analytic codeword failure probability (binomial tail in
// log space), so "what is ECCLITE's failure rate at end of life" is a
// function call. The RBER model's form, sources and calibration are in
// nand_config.h (ReliabilityConfig).
#ifndef STRATA_NAND_FLASH_RELIABILITY_H_
#define STRATA_NAND_FLASH_RELIABILITY_H_

#include <cstdint>

#include "flash/nand_config.h"
#include "flash/page_coding.h"
#include "strata/sim/random.h"

namespace strata::nand {

// log P(X >= k) for X ~ Binomial(n, p), summed in log space (log-sum-exp of
// log pmf terms from lgamma) so tails down to 1e-300 and beyond stay exact to
// ~1e-10 relative (lgamma of n ~ 1e4 carries ~1e-11 absolute error in the
// log). Returns -inf when the tail is empty (k > n, or p == 0 and
// k > 0) and 0 when k == 0.
double LogBinomialUpperTail(uint64_t n, uint64_t k, double p);

// P(more than t of n bits are wrong) at bit error rate p: the probability
// that a t-error-correcting codeword of n bits fails to decode.
double CodewordFailureProbability(uint64_t n_bits, uint64_t t, double p);

// The bit error rate p at which P(X >= max_errors) = tail for X ~ Bin(n, p):
// turns a "maximum observed errors per codeword" into an RBER.
double RberForObservedMaximum(uint64_t n_bits, uint64_t max_errors, double tail);

// RBER of a page from the block's state. Constructed once per die from the
// config (the anchor solve runs here, not per read).
class RberModel {
 public:
  RberModel(const ReliabilityConfig& config, uint32_t codeword_bytes);
  // RBER for `levels` read levels of a page under `coding`, page type
  // `page_type` (only be-enc LSB uses the be-enc anchor), at the given wear.
  double Rber(uint32_t bits_per_cell, BlockCoding coding, uint32_t page_type, double pe_cycles,
              double retention_years, double block_reads) const;
  // The wear/retention/read-disturb shape (unnormalised).
  double Shape(double pe_cycles, double retention_years, double block_reads) const;
  double per_level_default_at_anchor() const { return per_level_default_; }
  double be_enc_lsb_at_anchor() const { return be_enc_lsb_; }

 private:
  ReliabilityConfig config_;
  double per_level_default_ = 0;
  double be_enc_lsb_ = 0;
  double anchor_shape_ = 1;
};

// Bit errors of one page, codeword by codeword.
struct PageErrors {
  uint32_t total = 0;              // bit errors over the page
  uint32_t max_per_codeword = 0;
  uint32_t codewords_with_errors = 0;
  uint32_t codewords_over_ecclite_t = 0;
};
// Draws a page's errors: the same distribution as one Binomial(codeword_bits,
// rber) per codeword, at one random draw for a clean page. Keeps the
// probabilities of the last RBER it saw, which repeats page after page on a
// block whose wear does not change (so its RBER does not).
class PageErrorSampler {
 public:
  PageErrors Draw(sim::RandomStream& random, uint32_t codewords, uint32_t codeword_bits, double rber,
                  uint32_t ecclite_t);

 private:
  uint32_t bits_ = 0;
  double rber_ = -1;
  double p_any_ = 0;           // P(X >= 1) per codeword
  double p_one_given_any_ = 0;  // P(X = 1 | X >= 1)
};
// The errors of a run of `pages` pages read at one RBER (STREAM fidelity),
// as totals: the same per-codeword law as PageErrorSampler, Binomial(bits,
// rber) per codeword, but drawn for the run at once. How many codewords
// have errors is one binomial draw; when those are few (<= 64) each is
// drawn given that it has some, exactly as PageErrorSampler does; when many,
// how many exceed ECCLITE's t is a binomial over them and the bit total is
// normal with the conditional mean and variance (the central limit over
// > 64 codewords). Failed pages: the failing codewords fall on uniformly
// chosen distinct codewords of the run, drawn one by one up to 64 of them,
// beyond that the expected number of distinct pages they cover.
struct RunErrors {
  uint64_t total = 0;  // bit errors
  uint64_t codewords_with_errors = 0;
  uint64_t codewords_over_ecclite_t = 0;
  uint64_t pages_over_ecclite_t = 0;  // pages with at least one such codeword
};
class RunErrorSampler {
 public:
  RunErrors Draw(sim::RandomStream& random, uint64_t pages, uint32_t codewords_per_page, uint32_t codeword_bits,
                 double rber, uint32_t ecclite_t);

 private:
  // The per-codeword law's constants for one (bits, rber, t). A die sees a
  // handful of RBERs (one per page type while wear does not change), so the
  // last few are kept: the tail probability alone is a log-space sum.
  struct Law {
    uint32_t bits = 0;
    uint32_t t = 0;
    double rber = -1;
    double p_any = 0;            // P(X >= 1)
    double p_one_given_any = 0;  // P(X = 1 | X >= 1)
    double over_given_any = 0;   // P(X > t | X >= 1)
    double mean_given_any = 0;   // E[X | X >= 1]
    double var_given_any = 0;    // Var[X | X >= 1]
  };
  const Law& LawFor(uint32_t bits, double rber, uint32_t t);
  static constexpr int kLaws = 4;
  Law laws_[kLaws];
  int next_ = 0;
};
// One run with a fresh sampler (tests, one-off draws).
RunErrors DrawRunErrors(sim::RandomStream& random, uint64_t pages, uint32_t codewords_per_page,
                        uint32_t codeword_bits, double rber, uint32_t ecclite_t);

// One page with a fresh sampler (tests, one-off draws).
PageErrors DrawPageErrors(sim::RandomStream& random, uint32_t codewords, uint32_t codeword_bits, double rber,
                          uint32_t ecclite_t);

// ECCLITE: fixed-throughput BCH on the die; a page takes bytes / rate.
SimTime EccLiteLatency(const EccConfig& ecc, uint32_t bytes);

// LDPC-like decoder: codewords decode in parallel, the page waits for the
// worst one: iterations = max(1, ceil(max_errors / errors_per_iteration)).
struct LdpcOutcome {
  bool success = true;
  uint32_t iterations = 0;
  SimTime latency;
};
LdpcOutcome LdpcDecode(const EccConfig& ecc, uint32_t max_errors_per_codeword);

}  // namespace strata::nand

#endif  // STRATA_NAND_FLASH_RELIABILITY_H_
