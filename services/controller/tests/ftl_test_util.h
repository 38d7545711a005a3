// Workload drivers shared by the FTL tests: uniform and hot/cold random
// single-page writes from a RandomStream.
#ifndef STRATA_CONTROLLER_TESTS_FTL_TEST_UTIL_H_
#define STRATA_CONTROLLER_TESTS_FTL_TEST_UTIL_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "ftl/page_ftl.h"
#include "strata/sim/random.h"

namespace strata::controller::testing {

// Writes lpn first, first + 1, ..., first + count - 1 once each.
inline absl::Status FillSequential(PageFtl& ftl, uint64_t first, uint64_t count) {
  std::vector<FlashOp> ops;
  for (uint64_t lpn = first; lpn < first + count; ++lpn) {
    ops.clear();
    if (absl::Status st = ftl.Write(lpn, &ops); !st.ok()) return st;
  }
  return absl::OkStatus();
}

// n writes uniform over [first, first + span).
inline absl::Status UniformWrites(PageFtl& ftl, sim::RandomStream& rng, uint64_t first, uint64_t span,
                                  uint64_t n) {
  std::vector<FlashOp> ops;
  for (uint64_t i = 0; i < n; ++i) {
    ops.clear();
    if (absl::Status st = ftl.Write(first + rng.UniformInt(span), &ops); !st.ok()) return st;
  }
  return absl::OkStatus();
}

// n writes: with probability hot_write_share to the first hot_lpns pages
// (uniformly), otherwise to the rest of [0, lpns) (uniformly).
inline absl::Status HotColdWrites(PageFtl& ftl, sim::RandomStream& rng, uint64_t lpns, uint64_t hot_lpns,
                                  double hot_write_share, uint64_t n) {
  std::vector<FlashOp> ops;
  for (uint64_t i = 0; i < n; ++i) {
    ops.clear();
    const uint64_t lpn = rng.Uniform01() < hot_write_share ? rng.UniformInt(hot_lpns)
                                                           : hot_lpns + rng.UniformInt(lpns - hot_lpns);
    if (absl::Status st = ftl.Write(lpn, &ops); !st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace strata::controller::testing

#endif  // STRATA_CONTROLLER_TESTS_FTL_TEST_UTIL_H_
