// Helpers shared by the job tests.
#ifndef STRATA_COORDINATOR_TESTS_JOB_TEST_UTIL_H_
#define STRATA_COORDINATOR_TESTS_JOB_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "job/job_runner.h"

namespace strata::coordinator::testing {

// Runs `spec` on each partition count x both sync algorithms and expects one
// digest (the determinism contract); returns it, or "" if a run failed.
inline std::string ExpectSameDigestEverywhere(v1::JobSpec spec, std::initializer_list<int> partition_counts,
                                              const std::string& label) {
  std::string reference;
  for (int partitions : partition_counts) {
    for (auto sync : {v1::WINDOW, v1::NULL_MESSAGE}) {
      spec.mutable_simulation()->set_partitions(partitions);
      spec.mutable_simulation()->set_sync(sync);
      auto r = RunJob(spec);
      EXPECT_TRUE(r.ok()) << r.status();
      if (!r.ok()) return "";
      if (reference.empty()) reference = r->digest();
      EXPECT_EQ(r->digest(), reference) << label << " partitions=" << partitions << " sync=" << sync;
    }
  }
  return reference;
}

}  // namespace strata::coordinator::testing

#endif  // STRATA_COORDINATOR_TESTS_JOB_TEST_UTIL_H_
