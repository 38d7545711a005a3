// The admission estimate (docs/admission.md): within its documented band of
// the measured event count, and the coordinator's refusal of jobs over
// --max_job_memory_gib / --max_job_events at submit, before anything runs.
#include <malloc.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "services/coordinator/job/job_runner.h"
#include "services/controller/ssd/ssd_controller.h"
#include "services/host/memory/page_cache.h"
#include "services/systems/job/job_estimate.h"
#include "services/systems/ssd_offload/ssd_io_job.h"
#include "services/systems/ssd_offload/ssd_memory.h"
#include "services/systems/ssd_offload/ssd_offload_system.h"
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

// Plain I/O jobs, whose estimate was "unknown" before their row: events
// per command by direction (exact on the shipped workloads).
TEST(AdmissionEstimateTest, EventsWithinTheDocumentedBandOnPlainIo) {
  ExpectEventsWithinBand(Spec(R"pb(name: "ssd_io 4k random read"
                                   ssd_io { pattern: RANDOM block_kib: 4 queue_depth: 32 commands: 5000 span_gib: 8 }
                                   system { ssd_offload {} })pb"));
  ExpectEventsWithinBand(Spec(R"pb(name: "ssd_io 16k random write"
                                   ssd_io { pattern: RANDOM block_kib: 16 queue_depth: 8 write_fraction: 1
                                            commands: 5000 span_gib: 8 }
                                   system { ssd_offload {} })pb"));
}

// Cambricon-LLM's rows, tiled (the default) and not: the tiled STREAM row
// is two terms (the cores' requests scale with the planes, the NPU's page
// reads with the weight bytes), so a model other than the calibration's
// lands in the band too.
TEST(AdmissionEstimateTest, EventsWithinTheDocumentedBandOnCambriconLlm) {
  ExpectEventsWithinBand(Spec(R"pb(name: "llama-2-7b cambricon-llm"
                                   model { catalog_name: "llama-2-7b" weight_type: INT8 }
                                   workload { prompt_tokens: 16 decode_tokens: 2 }
                                   system { cambricon_llm {} })pb"));
  ExpectEventsWithinBand(Spec(R"pb(name: "llama-2-7b cambricon-llm no tiling"
                                   model { catalog_name: "llama-2-7b" weight_type: INT8 }
                                   workload { prompt_tokens: 16 decode_tokens: 2 }
                                   system { cambricon_llm { tiling: NO_TILING } })pb"));
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

// A plain I/O job over `span_gib` of AiF's default 1 TB drive: the FTL maps
// the span (8 B per logical and per physical page), the rest is small.
v1::JobSpec LargeSpanIoSpec(int span_gib) {
  return Spec(absl::StrCat(R"pb(name: "large span" ssd_io { pattern: RANDOM block_kib: 4 commands: 1000 span_gib: )pb",
                           span_gib, R"pb( } system { ssd_offload {} })pb"));
}

// An LLM job on the SSD with user I/O over `span_gib` beside the weights.
v1::JobSpec LargeSpanOffloadSpec(int span_gib) {
  return Spec(absl::StrCat(
      R"pb(name: "offload + large span" model { custom { name: "tiny" layers: 1 hidden: 64 ffn: 128 heads: 2 vocab: 256 } }
           workload { prompt_tokens: 4 decode_tokens: 1 }
           system { ssd_offload {} }
           ssd_io { block_kib: 16 commands: 1000 precondition: false span_gib: )pb",
      span_gib, " }"));
}

// A job the limit should have refused must not run its build here.
void ExpectRefusedForItsFtl(JobManager& manager, const v1::JobSpec& spec) {
  auto job = manager.Submit(spec, "");
  if (job.ok()) (void)manager.Cancel(job->id());
  ASSERT_FALSE(job.ok()) << spec.name() << ": accepted, the FTL's mapping table was not counted";
  EXPECT_EQ(job.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(job.status().message(), AllOf(HasSubstr("GiB of FTL tables"), HasSubstr("--max_job_memory_gib = 0.25")));
}

TEST(AdmissionEstimateTest, LargeDriveSsdJobsAreRefusedForTheirFtlTables) {
  // 900 GiB mapped at 16 KiB pages: ~59 M logical and ~63 M physical pages,
  // 4 B each once written, ~0.46 GiB of FTL tables; the NAND array's block
  // states are 2 MiB, so only the FTL term puts these over 0.25 GiB.
  for (const v1::JobSpec& raw : {LargeSpanIoSpec(900), LargeSpanOffloadSpec(900)}) {
    auto spec = NormalizeJobSpec(raw);
    ASSERT_TRUE(spec.ok()) << spec.status();
    auto estimate = systems::EstimateJob(*spec);
    ASSERT_TRUE(estimate.ok()) << estimate.status();
    EXPECT_GT(estimate->ftl_bytes, 0.4 * 1024 * 1024 * 1024) << raw.name();
    EXPECT_LT(estimate->nand_blocks * estimate->block_state_bytes, 0.01 * 1024 * 1024 * 1024) << raw.name();
  }
  auto store = JobStore::Open(":memory:");
  ASSERT_TRUE(store.ok());
  JobManager manager(store->get(), /*max_concurrent=*/1, nullptr);
  manager.SetAdmissionLimits({/*max_job_memory_gib=*/0.25, /*max_job_events=*/0});
  ExpectRefusedForItsFtl(manager, LargeSpanIoSpec(900));
  ExpectRefusedForItsFtl(manager, LargeSpanOffloadSpec(900));
  // A small span of the same drive passes the same limit.
  EXPECT_TRUE(systems::CheckAdmission(*systems::EstimateJob(*NormalizeJobSpec(LargeSpanIoSpec(32))),
                                      {/*max_job_memory_gib=*/0.25, /*max_job_events=*/0})
                  .ok());
}

// Bytes the allocator hands out now (main arena and mmapped chunks).
// 0 when a sanitizer's allocator replaces glibc's (mallinfo2 then reports nothing).
size_t HeapInUse() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// The per-entry sizes the estimate adds up against what glibc really hands
// out when the tables are built: a layout change in PageFtl, BlockFtl or
// PageCache that their byte counts miss fails here.
TEST(SsdModelMemoryTest, FtlAndPageCacheTermsMatchTheAllocator) {
  if (HeapInUse() == 0) GTEST_SKIP() << "mallinfo2 reports no heap: not glibc's allocator";
  for (const char* mapping : {"FTL_MAPPING_PAGE", "FTL_MAPPING_BLOCK"}) {
    v1::JobSpec raw = LargeSpanIoSpec(48);
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(absl::StrCat("ftl_mapping: ", mapping),
                                                              raw.mutable_system()->mutable_ssd_offload()));
    auto spec = NormalizeJobSpec(raw);
    ASSERT_TRUE(spec.ok()) << spec.status();
    auto estimate = systems::EstimateSsdModelMemory(*spec);
    ASSERT_TRUE(estimate.ok()) << estimate.status();
    auto config = systems::PlainIoSsdConfig(
        *spec, systems::SsdOffloadNandConfig(spec->system().ssd_offload(), spec->simulation()));
    ASSERT_TRUE(config.ok()) << config.status();
    const size_t before = HeapInUse();
    auto controller = controller::SsdController::Create("ssd", config->nand, config->controller);
    ASSERT_TRUE(controller.ok()) << controller.status();
    // Every logical page written once (the block mapping's per-offset
    // tables appear on first write).
    ASSERT_TRUE((*controller)->Precondition(0, (*controller)->ftl().logical_pages()).ok());
    const double measured = static_cast<double>(HeapInUse() - before);
    const double ratio = estimate->ftl_bytes / measured;
    std::printf("%s: FTL estimated %.4g B, allocated %.4g B (ratio %.4f)\n", mapping, estimate->ftl_bytes, measured,
                ratio);
    EXPECT_GT(ratio, 0.97) << mapping;
    EXPECT_LT(ratio, 1.03) << mapping;
  }
  // A cyclic scan of 3,000 chunks through a 1,000-chunk cache: 1,000 cached,
  // 2,000 shadow entries.
  const size_t before = HeapInUse();
  {
    host::PageCache cache(1000);
    for (uint64_t c = 0; c < 3000; ++c) cache.Insert(c);
    const double measured = static_cast<double>(HeapInUse() - before);
    const double estimated = 1000.0 * host::PageCache::ResidentChunkBytes() + 2000.0 * host::PageCache::ShadowChunkBytes();
    std::printf("page cache: estimated %.4g B, allocated %.4g B (ratio %.4f)\n", estimated, measured,
                estimated / measured);
    EXPECT_GT(estimated / measured, 0.85);
    EXPECT_LT(estimated / measured, 1.15);
  }
}

}  // namespace
}  // namespace strata::coordinator
