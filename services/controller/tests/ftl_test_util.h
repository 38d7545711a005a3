// Workload drivers shared by the FTL tests: hot/cold random single-page
// writes from a RandomStream (sequential and uniform writes are
// FillSequential and UniformWrites in ftl/ftl_mapping.h).
#ifndef STRATA_CONTROLLER_TESTS_FTL_TEST_UTIL_H_
#define STRATA_CONTROLLER_TESTS_FTL_TEST_UTIL_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "ftl/page_ftl.h"
#include "strata/sim/random.h"

namespace strata::controller::testing {

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
