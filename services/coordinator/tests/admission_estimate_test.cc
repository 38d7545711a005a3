// The admission estimate (docs/admission.md): within its documented band of
// the measured event count, and the coordinator's refusal of jobs over
// --max_job_memory_gib / --max_job_events at submit, before anything runs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/coordinator/job/job_runner.h"
#include "services/systems/job/job_estimate.h"
#include "server/job_manager.h"
#include "store/job_store.h"

namespace strata::coordinator {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// docs/admission.md, "Error band": estimated / measured events.
constexpr double kEventsBandLow = 0.7;
constexpr double kEventsBandHigh = 1.1;

v1::JobSpec Spec(const std::string& text) {
  auto spec = ParseJobSpecText(text);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

void ExpectEventsWithinBand(const v1::JobSpec& raw) {
  auto spec = NormalizeJobSpec(raw);
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto estimate = systems::EstimateJob(*spec);
  ASSERT_TRUE(estimate.ok()) << estimate.status();
  ASSERT_TRUE(estimate->events_calibrated);
  auto result = RunJob(*spec);
  ASSERT_TRUE(result.ok()) << result.status();
  const double ratio = estimate->events / static_cast<double>(result->events());
  std::printf("%s: estimated %.4g events, measured %llu (ratio %.3f)\n", raw.name().c_str(), estimate->events,
              static_cast<unsigned long long>(result->events()), ratio);
  EXPECT_GE(ratio, kEventsBandLow) << raw.name();
  EXPECT_LE(ratio, kEventsBandHigh) << raw.name();
}

TEST(AdmissionEstimateTest, EventsWithinTheDocumentedBandOnTwoSmallJobs) {
  ExpectEventsWithinBand(Spec(R"pb(name: "llama-2-7b in-memory"
                                   model { catalog_name: "llama-2-7b" weight_type: INT8 }
                                   workload { prompt_tokens: 16 decode_tokens: 3 }
                                   system { in_memory {} })pb"));
  ExpectEventsWithinBand(Spec(R"pb(name: "llama-2-7b nvllm page"
                                   model { catalog_name: "llama-2-7b" weight_type: INT8 }
                                   workload { prompt_tokens: 16 decode_tokens: 2 }
                                   system { nvllm {} }
                                   simulation { fidelity: PAGE })pb"));
}

// 64 x 16 x 128 x 256 = 2^25 blocks: ~0.78 GiB of block tables by estimate.
v1::JobSpec HugeArraySpec() {
  return Spec(R"pb(name: "huge-array" model { custom { name: "tiny" layers: 1 hidden: 64 ffn: 128 heads: 2 vocab: 256 } }
                   workload { prompt_tokens: 4 decode_tokens: 1 }
                   system {
                     nvllm { flash { channels: 64 dies_per_channel: 16 planes_per_die: 128 blocks_per_plane: 256 } }
                   })pb");
}

v1::JobSpec TinySpec(int decode_tokens) {
  return Spec(absl::StrCat(
      R"pb(name: "tiny" model { custom { name: "tiny" layers: 1 hidden: 64 ffn: 128 heads: 2 vocab: 256 } }
           workload { prompt_tokens: 4 decode_tokens: )pb",
      decode_tokens, R"pb( } system { in_memory {} })pb"));
}

v1::Job WaitUntilFinal(JobManager& manager, const std::string& id) {
  uint64_t version = 0;
  v1::Job job;
  for (int i = 0; i < 100; ++i) {
    auto j = manager.WaitForChange(id, version, absl::Seconds(1), &version);
    EXPECT_TRUE(j.ok()) << j.status();
    if (!j.ok()) break;
    job = *j;
    if (IsFinal(job.state())) break;
  }
  return job;
}

TEST(AdmissionEstimateTest, JobsOverALimitAreRefusedAtSubmitAndTheServiceRunsTheNext) {
  auto store = JobStore::Open(":memory:");
  ASSERT_TRUE(store.ok());
  JobManager manager(store->get(), /*max_concurrent=*/1, nullptr);
  manager.SetAdmissionLimits({/*max_job_memory_gib=*/0.5, /*max_job_events=*/1000});

  auto big = manager.Submit(HugeArraySpec(), "");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(big.status().message(),
              AllOf(HasSubstr("estimated peak memory 0.7"), HasSubstr("--max_job_memory_gib = 0.5")));

  auto long_job = manager.Submit(TinySpec(/*decode_tokens=*/100), "");  // 1 layer x 101 x 30.25 events
  ASSERT_FALSE(long_job.ok());
  EXPECT_EQ(long_job.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(long_job.status().message(), AllOf(HasSubstr("estimated 3"), HasSubstr("--max_job_events = 1000")));

  auto list = manager.List(v1::ListJobsRequest());
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->jobs_size(), 0) << "a refused job is not stored";

  auto next = manager.Submit(TinySpec(/*decode_tokens=*/2), "");
  ASSERT_TRUE(next.ok()) << next.status();
  const v1::Job done = WaitUntilFinal(manager, next->id());
  EXPECT_EQ(done.state(), v1::SUCCEEDED) << done.error();
}

}  // namespace
}  // namespace strata::coordinator
