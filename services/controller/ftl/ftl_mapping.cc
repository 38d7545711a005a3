#include "ftl/ftl_mapping.h"

#include <algorithm>
#include <cmath>

#include "ftl/page_ftl.h"

namespace strata::controller {

namespace {
bool Cancelled(const std::atomic<bool>* cancel, uint64_t i) {
  return i % kCancelCheckWrites == 0 && cancel != nullptr && cancel->load(std::memory_order_relaxed);
}
}  // namespace

absl::Status FillSequential(FtlMapping& ftl, uint64_t first, uint64_t count, const std::atomic<bool>* cancel) {
  std::vector<FlashOp> ops;
  for (uint64_t lpn = first; lpn < first + count; ++lpn) {
    if (Cancelled(cancel, lpn - first)) return absl::CancelledError("cancelled while preconditioning the drive");
    ops.clear();
    if (absl::Status s = ftl.Write(lpn, &ops); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status UniformWrites(FtlMapping& ftl, sim::RandomStream& random, uint64_t first, uint64_t span, uint64_t n,
                           const std::atomic<bool>* cancel) {
  std::vector<FlashOp> ops;
  for (uint64_t i = 0; i < n; ++i) {
    if (Cancelled(cancel, i)) return absl::CancelledError("cancelled while ageing the drive (random_prewrites)");
    ops.clear();
    if (absl::Status s = ftl.Write(first + random.UniformInt(span), &ops); !s.ok()) return s;
  }
  return absl::OkStatus();
}

bool IsSteadyState(const std::vector<double>& per_round, const SteadyStateRule& rule) {
  const size_t w = rule.window;
  if (w < 2 || per_round.size() < w) return false;
  const auto begin = per_round.end() - static_cast<std::ptrdiff_t>(w);
  double mean = 0;
  for (auto it = begin; it != per_round.end(); ++it) mean += *it;
  mean /= static_cast<double>(w);
  const auto [lo, hi] = std::minmax_element(begin, per_round.end());
  if (*hi - *lo > rule.max_excursion * mean) return false;
  // Least-squares slope over x = 0 .. w - 1; the fit moves slope * (w - 1)
  // across the window.
  const double x_mean = static_cast<double>(w - 1) / 2;
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < w; ++i) {
    const double dx = static_cast<double>(i) - x_mean;
    sxy += dx * (*(begin + static_cast<std::ptrdiff_t>(i)) - mean);
    sxx += dx * dx;
  }
  return std::abs(sxy / sxx) * static_cast<double>(w - 1) <= rule.max_slope_excursion * mean;
}

absl::StatusOr<SteadyStateReport> RandomWritesToSteadyState(FtlMapping& ftl, sim::RandomStream& random,
                                                            uint64_t first, uint64_t span,
                                                            const SteadyStateRule& rule,
                                                            const std::atomic<bool>* cancel) {
  if (rule.round_writes == 0 || span == 0) {
    return absl::InvalidArgumentError("steady-state preconditioning: round_writes and span must be above 0");
  }
  SteadyStateReport report;
  std::vector<double> per_round;
  while (report.rounds < rule.max_rounds && !report.steady) {
    const FtlStats before = ftl.stats();
    if (absl::Status s = UniformWrites(ftl, random, first, span, rule.round_writes, cancel); !s.ok()) return s;
    per_round.push_back(WriteAmplificationBetween(before, ftl.stats()));
    ++report.rounds;
    report.steady = IsSteadyState(per_round, rule);
  }
  report.write_amplification = per_round.back();
  return report;
}

}  // namespace strata::controller
