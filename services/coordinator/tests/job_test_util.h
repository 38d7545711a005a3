// Helpers the job tests share: parse a spec, run it everywhere and compare
// digests, add up a breakdown.
#ifndef STRATA_COORDINATOR_TESTS_JOB_TEST_UTIL_H_
#define STRATA_COORDINATOR_TESTS_JOB_TEST_UTIL_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "services/coordinator/job/job_runner.h"

namespace strata::coordinator::testing {

inline v1::JobSpec Spec(const std::string& text) {
  auto spec = ParseJobSpecText(text);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : v1::JobSpec();
}

// Runs `spec` on each partition count x both sync algorithms and expects
// one digest; returns it ("" if a run failed).
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

inline double BreakdownSum(const v1::TimeBreakdown& b) {
  return b.flash_array_us() + b.ecc_us() + b.flash_bus_us() + b.pe_compute_us() + b.host_attention_us() +
         b.host_gemv_us() + b.host_other_us() + b.pcie_nvme_us() + b.synchronization_us();
}

// Runs the job `spec_text` and expects it rejected as INVALID_ARGUMENT with
// `message` (the field, its value, what is allowed) in the status.
inline void ExpectRejected(const std::string& spec_text, const std::string& message) {
  auto r = RunJob(Spec(spec_text));
  ASSERT_FALSE(r.ok()) << spec_text;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << spec_text;
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr(message)) << spec_text;
}

// The check: PAGE and STREAM fidelity agree within 2% on tokens/s.
inline void ExpectFidelitiesAgreeOnTokensPerSecond(v1::JobSpec spec) {
  spec.mutable_simulation()->set_fidelity(v1::PAGE);
  auto page = RunJob(spec);
  spec.mutable_simulation()->set_fidelity(v1::STREAM);
  auto stream = RunJob(spec);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_NEAR(stream->tokens_per_second() / page->tokens_per_second(), 1.0, 0.02);
}

}  // namespace strata::coordinator::testing

#endif  // STRATA_COORDINATOR_TESTS_JOB_TEST_UTIL_H_
