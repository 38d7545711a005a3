// The job service as a hostile or careless client would use it: a cancel
// racing the worker, restarts within one second, duplicated request ids,
// empty ids, and coordinators restarted before their services came back.
// Each case below crashed the coordinator, lost or duplicated a job, or
// failed a job for nothing before.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "distributed/service_directory.h"
#include "services/coordinator/job/job_runner.h"
#include "server/job_manager.h"
#include "store/job_store.h"

namespace strata::coordinator {
namespace {

using ::testing::HasSubstr;

// A one-layer custom model: normalises and builds in well under a
// millisecond, so a thousand of them cost nothing.
v1::JobSpec TinySpec(int decode_tokens = 1) {
  auto spec = ParseJobSpecText(absl::StrCat(
      R"pb(name: "tiny" model { custom { name: "tiny" layers: 1 hidden: 64 ffn: 128 heads: 2 vocab: 256 } }
           workload { prompt_tokens: 4 decode_tokens: )pb",
      decode_tokens, R"pb( } system { in_memory {} })pb"));
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

std::string TempDb(const std::string& name) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/hardening_", name, "_", getpid(), ".sqlite");
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return path;
}

// The worker dequeues a job and then marks it RUNNING; a CancelJob in
// between used to finish and erase it first, and the worker's
// live_.at(id) threw: std::terminate. Submit followed at once by Cancel
// hits that window whenever a worker is idle, as here.
TEST(JobManagerHardeningTest, SubmitFollowedAtOnceByCancelNeverCrashesAndEveryJobEnds) {
  auto store = JobStore::Open(":memory:");
  ASSERT_TRUE(store.ok());
  std::vector<std::string> ids;
  {
    JobManager manager(store->get(), /*max_concurrent=*/4, nullptr);
    for (int i = 0; i < 1000; ++i) {
      auto job = manager.Submit(TinySpec(), "");
      ASSERT_TRUE(job.ok()) << job.status();
      ASSERT_TRUE(manager.Cancel(job->id()).ok());
      ids.push_back(job->id());
    }
    for (const std::string& id : ids) {
      uint64_t version = 0;
      v1::Job job;
      for (int i = 0; i < 100; ++i) {
        auto j = manager.WaitForChange(id, version, absl::Seconds(1), &version);
        ASSERT_TRUE(j.ok()) << j.status();
        job = *j;
        if (IsFinal(job.state())) break;
      }
      EXPECT_TRUE(job.state() == v1::CANCELLED || job.state() == v1::SUCCEEDED) << id << ": " << job.error();
    }
  }
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

// Ids were job-<unix seconds>-<counter from 0>: a coordinator restarted
// within the same second reissued them and the upsert replaced acknowledged
// jobs. Here ten coordinators in a row share one database within a second.
TEST(JobManagerHardeningTest, JobIdsStayUniqueAcrossRestartsWithinOneSecond) {
  const std::string db = TempDb("restarts");
  std::set<std::string> ids;
  const absl::Time start = absl::Now();
  for (int restart = 0; restart < 10; ++restart) {
    auto store = JobStore::Open(db);
    ASSERT_TRUE(store.ok());
    JobManager manager(store->get(), 1, nullptr);
    for (int i = 0; i < 5; ++i) {
      auto job = manager.Submit(TinySpec(), "");
      ASSERT_TRUE(job.ok()) << job.status();
      EXPECT_TRUE(ids.insert(job->id()).second) << "reissued " << job->id();
    }
  }
  ASSERT_LT(absl::Now() - start, absl::Seconds(5));  // the old ids collided within a second
  auto store = JobStore::Open(db);
  ASSERT_TRUE(store.ok());
  int64_t next = 0;
  auto all = (*store)->List(v1::JOB_STATE_UNSPECIFIED, 1000, 0, &next);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 50u);  // every acknowledged job is still there
}

// The look-up of a request id and the insert were not one transaction and
// request ids had no UNIQUE index: concurrent retries made duplicates.
TEST(JobManagerHardeningTest, ConcurrentSubmissionsOfOneRequestIdStoreOneJob) {
  auto store = JobStore::Open(TempDb("request_ids"));
  ASSERT_TRUE(store.ok());
  JobManager manager(store->get(), 2, nullptr);
  constexpr int kRequests = 100;
  std::vector<std::string> first(kRequests), second(kRequests);
  auto submit_all = [&](std::vector<std::string>* out) {
    for (int r = 0; r < kRequests; ++r) {
      auto job = manager.Submit(TinySpec(), absl::StrCat("request-", r));
      (*out)[r] = job.ok() ? job->id() : std::string(job.status().message());
    }
  };
  std::thread a(submit_all, &first), b(submit_all, &second);
  a.join();
  b.join();
  for (int r = 0; r < kRequests; ++r) EXPECT_EQ(first[r], second[r]) << "request-" << r;
  int64_t next = 0;
  auto all = (*store)->List(v1::JOB_STATE_UNSPECIFIED, 1000, 0, &next);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), static_cast<size_t>(kRequests));
}

// The same across two JobStores on one file, as two coordinators (or a
// restarted one still finishing) would be: only the transaction and the
// UNIQUE index keep them apart.
TEST(JobStoreHardeningTest, TwoStoresOnOneFileInsertARequestIdOnce) {
  const std::string db = TempDb("two_stores");
  auto one = JobStore::Open(db), two = JobStore::Open(db);
  ASSERT_TRUE(one.ok() && two.ok());
  v1::Job a, b;
  a.set_id("job-a");
  a.set_request_id("shared");
  b.set_id("job-b");
  b.set_request_id("shared");
  auto first = (*one)->InsertUnlessRequested(a);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->has_value());
  auto again = (*two)->InsertUnlessRequested(b);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->id(), "job-a");
  // Bypassing the look-up, the index still refuses a second row.
  EXPECT_FALSE((*two)->Put(b).ok());
  EXPECT_EQ((*two)->Get("job-b").status().code(), absl::StatusCode::kNotFound);
}

TEST(JobManagerHardeningTest, AReusedRequestIdWithAnotherSpecIsAlreadyExistsNamingBoth) {
  auto store = JobStore::Open(":memory:");
  ASSERT_TRUE(store.ok());
  JobManager manager(store->get(), 1, nullptr);
  auto first = manager.Submit(TinySpec(1), "sweep-point-7");
  ASSERT_TRUE(first.ok());
  auto retry = manager.Submit(TinySpec(1), "sweep-point-7");
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->id(), first->id());
  auto other = manager.Submit(TinySpec(2), "sweep-point-7");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(other.status().message(), HasSubstr("request_id 'sweep-point-7'"));
  EXPECT_THAT(other.status().message(), HasSubstr(first->id()));
}

TEST(JobManagerHardeningTest, EmptyIdsAndOversizedRequestIdsAreInvalidArguments) {
  auto store = JobStore::Open(":memory:");
  ASSERT_TRUE(store.ok());
  JobManager manager(store->get(), 1, nullptr);
  uint64_t version = 0;
  for (const absl::Status& s : {manager.Get("").status(), manager.Cancel("").status(),
                                manager.WaitForChange("", 0, absl::Milliseconds(1), &version).status()}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr("id is empty"));
  }
  const absl::Status long_id = manager.Submit(TinySpec(), std::string(100'000, 'r')).status();
  EXPECT_EQ(long_id.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(long_id.message(), HasSubstr("request_id has 100000 bytes; allowed: at most 256"));
  EXPECT_EQ(manager.Submit(TinySpec(), "\xff\xfe").status().code(), absl::StatusCode::kInvalidArgument);
}

// Waits, up to `waits` seconds, for job `id` to reach a final state.
void WaitForFinal(JobManager& manager, const std::string& id, int waits, v1::Job* done) {
  uint64_t version = 0;
  for (int i = 0; i < waits; ++i) {
    auto j = manager.WaitForChange(id, version, absl::Seconds(1), &version);
    ASSERT_TRUE(j.ok()) << j.status();
    *done = *j;
    if (IsFinal(done->state())) return;
  }
}

// Submits `spec`, cancels it `delay` after the worker takes it, and waits
// (up to `waits` seconds) for its final state; `seconds` is the time from
// CancelJob to that state.
void CancelOnceRunning(JobManager& manager, const v1::JobSpec& spec, absl::Duration delay, int waits, v1::Job* done,
                       double* seconds) {
  auto job = manager.Submit(spec, "");
  ASSERT_TRUE(job.ok()) << job.status();
  uint64_t version = 0;
  for (int i = 0; i < 100; ++i) {  // until the worker has it
    auto j = manager.WaitForChange(job->id(), version, absl::Seconds(1), &version);
    ASSERT_TRUE(j.ok()) << j.status();
    if (j->state() != v1::QUEUED) break;
  }
  absl::SleepFor(delay);
  const absl::Time cancelled_at = absl::Now();
  ASSERT_TRUE(manager.Cancel(job->id()).ok());
  ASSERT_NO_FATAL_FAILURE(WaitForFinal(manager, job->id(), waits, done));
  *seconds = absl::ToDoubleSeconds(absl::Now() - cancelled_at);
}

// An NVLLM array at the 2^25-block cap takes seconds to build (its dies'
// block tables, ~1 GiB). The cancel flag used to be read only by the event
// loop, so a CancelJob during building waited for the whole build (10.4 s
// measured). Now the build stops within one plane's fill: the job ends
// CANCELLED with the build's own message, and the worker takes the next job.
TEST(JobManagerHardeningTest, CancelDuringGraphBuildingStopsTheBuild) {
  auto huge = ParseJobSpecText(
      R"pb(name: "huge-array" model { custom { name: "tiny" layers: 1 hidden: 64 ffn: 128 heads: 2 vocab: 256 } }
           workload { prompt_tokens: 4 decode_tokens: 1 }
           system {
             nvllm { flash { channels: 64 dies_per_channel: 16 planes_per_die: 128 blocks_per_plane: 256 } }
           })pb");
  ASSERT_TRUE(huge.ok()) << huge.status();
  auto store = JobStore::Open(":memory:");
  ASSERT_TRUE(store.ok());
  JobManager manager(store->get(), /*max_concurrent=*/1, nullptr);
  v1::Job done;
  double seconds = 0;
  // 200 ms: into the array's construction.
  ASSERT_NO_FATAL_FAILURE(CancelOnceRunning(manager, *huge, absl::Milliseconds(200), 120, &done, &seconds));
  // A figure, not an assertion: timings on a shared machine vary.
  std::printf("cancel during building: CANCELLED %.3f s after CancelJob\n", seconds);
  EXPECT_EQ(done.state(), v1::CANCELLED) << done.error();
  // The event loop's cancel names a simulated time; the build's names the build.
  EXPECT_THAT(done.error(), HasSubstr("while building")) << done.error();

  auto next = manager.Submit(TinySpec(), "");
  ASSERT_TRUE(next.ok()) << next.status();
  v1::Job after;
  ASSERT_NO_FATAL_FAILURE(WaitForFinal(manager, next->id(), 100, &after));
  EXPECT_EQ(after.state(), v1::SUCCEEDED) << after.error();
}

// A plain I/O job over 200 GiB of the drive, preconditioned and then aged
// by 10^8 random overwrites: its build (the FTL's ~0.2 GB of tables, 13 M
// sequential writes, then the aging with GC) takes tens of seconds before
// the first event. The cancel flag used to reach only the event loop, so a
// CancelJob waited for all of it; now the FTL's construction and every
// preconditioning write loop check it.
TEST(JobManagerHardeningTest, CancelDuringDrivePreconditioningStopsTheBuild) {
  auto big = ParseJobSpecText(
      R"pb(name: "big drive" ssd_io { pattern: RANDOM block_kib: 4 commands: 1000 span_gib: 200
                                      random_prewrites: 100000000 }
           system { ssd_offload {} })pb");
  ASSERT_TRUE(big.ok()) << big.status();
  auto store = JobStore::Open(":memory:");
  ASSERT_TRUE(store.ok());
  JobManager manager(store->get(), /*max_concurrent=*/1, nullptr);
  v1::Job done;
  double latency = 0;
  // 500 ms: into the FTL's tables or the preconditioning.
  ASSERT_NO_FATAL_FAILURE(CancelOnceRunning(manager, *big, absl::Milliseconds(500), 300, &done, &latency));
  std::printf("cancel during drive preconditioning: %s %.3f s after CancelJob (%s)\n",
              v1::JobState_Name(done.state()).c_str(), latency, done.error().c_str());
  EXPECT_EQ(done.state(), v1::CANCELLED) << done.error();
  // The event loop's cancel names a simulated time; the build's names the step.
  EXPECT_THAT(done.error(), HasSubstr("cancelled while")) << done.error();
  // The issue's target is < 1 s; the build checks the flag every 65,536
  // writes (milliseconds), so even a loaded machine stays well inside 5 s.
  EXPECT_LT(latency, 5.0);
}

// After a restart, queued distributed jobs ran before the services had
// registered again and failed "no host service is available".
TEST(ServiceDirectoryHardeningTest, WithinTheStartupGraceAvailableWaitsForAServiceToRegister) {
  ServiceDirectory directory([] { return absl::Now(); }, [](const ServiceEndpoint&, absl::Duration) { return true; });
  directory.set_startup_grace(absl::Seconds(20));
  auto has_host = [](const std::vector<ServiceEndpoint>& s) { return !s.empty(); };
  std::thread registers([&] {
    absl::SleepFor(absl::Milliseconds(300));
    ASSERT_TRUE(directory.Register(v1::HOST, "127.0.0.1:1").ok());
  });
  const absl::Time start = absl::Now();
  const auto found = directory.AvailableWithinGrace(has_host, nullptr);
  registers.join();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].address, "127.0.0.1:1");
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));  // woke on the registration, not the grace's end
}

TEST(ServiceDirectoryHardeningTest, OutsideTheGraceOrWhenCancelledAvailableReturnsAtOnce) {
  auto no_probe = [](const ServiceEndpoint&, absl::Duration) { return true; };
  auto never = [](const std::vector<ServiceEndpoint>&) { return false; };
  ServiceDirectory no_grace([] { return absl::Now(); }, no_probe);
  absl::Time start = absl::Now();
  EXPECT_TRUE(no_grace.AvailableWithinGrace(never, nullptr).empty());
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  ServiceDirectory graced([] { return absl::Now(); }, no_probe);
  graced.set_startup_grace(absl::Seconds(60));
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(200));
    cancel = true;
  });
  start = absl::Now();
  EXPECT_TRUE(graced.AvailableWithinGrace(never, &cancel).empty());
  canceller.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));  // the 500 ms poll saw the flag
}

}  // namespace
}  // namespace strata::coordinator
