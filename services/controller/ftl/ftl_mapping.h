// FtlMapping: what a controller needs from a flash translation layer, so the
// timed SSD can run page-level (PageFtl), block-level or hybrid (BlockFtl)
// mapping alike. Each call appends its flash operations (FlashOp, in issue
// order) to a caller-owned vector and never sees time.
#ifndef STRATA_CONTROLLER_FTL_FTL_MAPPING_H_
#define STRATA_CONTROLLER_FTL_FTL_MAPPING_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ftl/flash_op.h"
#include "strata/sim/random.h"

namespace strata::controller {

struct FtlStats;
struct WearStats;

class FtlMapping {
 public:
  virtual ~FtlMapping() = default;
  // INVALID_ARGUMENT: lpn out of range.
  virtual absl::Status Write(uint64_t lpn, std::vector<FlashOp>* ops) = 0;
  // NOT_FOUND: never written or trimmed.
  virtual absl::Status Read(uint64_t lpn, std::vector<FlashOp>* ops) = 0;
  virtual absl::Status Trim(uint64_t lpn) = 0;
  virtual std::optional<FlashAddr> Lookup(uint64_t lpn) const = 0;
  virtual uint64_t logical_pages() const = 0;
  virtual const FtlStats& stats() const = 0;
  virtual WearStats Wear() const = 0;
  virtual uint64_t Digest() const = 0;
};

// Untimed writes through an FTL, their flash operations dropped: a drive's
// prior contents (preconditioning) and the FTL tests' workloads.
// `cancel` (may be null) is read every kCancelCheckWrites writes: CANCELLED
// once it is set (a large drive's preconditioning takes minutes).
inline constexpr uint64_t kCancelCheckWrites = 1 << 16;
// Writes lpn first, first + 1, ..., first + count - 1 once each.
absl::Status FillSequential(FtlMapping& ftl, uint64_t first, uint64_t count,
                            const std::atomic<bool>* cancel = nullptr);
// n single-page writes uniform over [first, first + span).
absl::Status UniformWrites(FtlMapping& ftl, sim::RandomStream& random, uint64_t first, uint64_t span, uint64_t n,
                           const std::atomic<bool>* cancel = nullptr);

// Random writes until the write amplification is steady (SNIA Solid State
// Storage Performance Test Specification v2.0.2, "steady state": over a
// window of 5 rounds, max - min of the tracked variable is at most 20% of
// its mean, and the best linear fit over the window changes by at most 10%
// of it; stop after 25 rounds at most). A round is `round_writes` uniform
// single-page writes over [first, first + span) (UniformWrites); its
// variable is the FTL's write amplification during the round.
struct SteadyStateRule {
  uint64_t round_writes = 0;
  uint32_t window = 5;
  double max_excursion = 0.20;
  double max_slope_excursion = 0.10;
  uint32_t max_rounds = 25;
};
struct SteadyStateReport {
  uint32_t rounds = 0;
  bool steady = false;            // the rule held at the last round
  double write_amplification = 0; // of the last round
};
// True when the last `rule.window` values of `per_round` meet the rule.
bool IsSteadyState(const std::vector<double>& per_round, const SteadyStateRule& rule);
absl::StatusOr<SteadyStateReport> RandomWritesToSteadyState(FtlMapping& ftl, sim::RandomStream& random,
                                                            uint64_t first, uint64_t span,
                                                            const SteadyStateRule& rule,
                                                            const std::atomic<bool>* cancel = nullptr);

// Fills `table` with `n` copies of `value` a slice at a time, reading
// `cancel` (may be null) between slices; false when it was set. The FTLs'
// tables of a large drive are hundreds of MB.
template <class T>
bool FillTable(std::vector<T>& table, uint64_t n, const T& value, const std::atomic<bool>* cancel) {
  constexpr uint64_t kSlice = 1 << 20;
  table.clear();
  table.reserve(n);
  while (table.size() < n) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return false;
    table.insert(table.end(), std::min<uint64_t>(kSlice, n - table.size()), value);
  }
  return true;
}

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_FTL_FTL_MAPPING_H_
