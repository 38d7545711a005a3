// A small, deterministic fuzz pass over the submit path (no libFuzzer:
// fuzz/ has those targets): every config in configs/ as binary and as text,
// mutated by a fixed-seed generator (bytes flipped, cut, inserted), parsed
// and submitted to a JobManager with admission limits. Every answer must be
// a status (OK, or an error with a message), and afterwards the manager
// still runs a job.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/coordinator/job/job_runner.h"
#include "server/job_manager.h"
#include "store/job_store.h"

namespace strata::coordinator {
namespace {

std::vector<std::string> SeedTexts() {
  std::vector<std::string> texts;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(STRATA_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".textproto") continue;
    auto spec = LoadJobSpec(entry.path().string());
    if (spec.ok()) texts.push_back(spec->DebugString());
  }
  return texts;
}

std::string Mutate(std::string s, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits; ++i) {
    const size_t at = s.empty() ? 0 : rng() % s.size();
    switch (rng() % 4) {
      case 0: if (!s.empty()) s[at] = static_cast<char>(rng()); break;           // flip a byte
      case 1: s.resize(at); break;                                                // cut
      case 2: s.insert(at, std::string(1 + rng() % 8, static_cast<char>(rng()))); break;  // insert
      case 3: if (!s.empty()) s[at] = static_cast<char>('0' + rng() % 10); break;  // a digit
    }
  }
  return s;
}

TEST(SubmitFuzzTest, MutatedSpecsAlwaysGetAStatusAndTheManagerKeepsRunning) {
  const std::vector<std::string> seeds = SeedTexts();
  ASSERT_FALSE(seeds.empty());
  auto store = JobStore::Open(":memory:");
  ASSERT_TRUE(store.ok());
  JobManager manager(store->get(), /*max_concurrent=*/1, nullptr);
  manager.SetAdmissionLimits({/*max_job_memory_gib=*/1, /*max_job_events=*/1e6});
  std::mt19937_64 rng(17);
  int parsed = 0, accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string& seed = seeds[rng() % seeds.size()];
    v1::JobSpec spec;
    bool ok = false;
    if (i % 2 == 0) {  // text
      auto s = ParseJobSpecText(Mutate(seed, rng));
      ok = s.ok();
      if (ok) {
        spec = *s;
      } else {
        EXPECT_FALSE(s.status().message().empty());
      }
    } else {  // binary
      auto base = ParseJobSpecText(seed);
      ASSERT_TRUE(base.ok());
      ok = spec.ParseFromString(Mutate(base->SerializeAsString(), rng));
    }
    if (!ok) continue;
    ++parsed;
    auto job = manager.Submit(spec, absl::StrCat("fuzz-", i));
    if (job.ok()) {
      ++accepted;
      EXPECT_TRUE(manager.Cancel(job->id()).ok());
    } else {
      EXPECT_FALSE(job.status().message().empty()) << "empty message, code " << job.status().code();
      EXPECT_NE(job.status().code(), absl::StatusCode::kInternal) << job.status();
    }
  }
  std::printf("fuzzed 20000 inputs: %d parsed, %d accepted\n", parsed, accepted);
  auto tiny = ParseJobSpecText(
      R"pb(name: "tiny" model { custom { name: "tiny" layers: 1 hidden: 64 ffn: 128 heads: 2 vocab: 256 } }
           workload { prompt_tokens: 4 decode_tokens: 1 } system { in_memory {} })pb");
  ASSERT_TRUE(tiny.ok());
  auto next = manager.Submit(*tiny, "");
  ASSERT_TRUE(next.ok()) << next.status();
  uint64_t version = 0;
  v1::Job done;
  for (int i = 0; i < 100 && !IsFinal(done.state()); ++i) {
    auto j = manager.WaitForChange(next->id(), version, absl::Seconds(1), &version);
    ASSERT_TRUE(j.ok()) << j.status();
    done = *j;
  }
  EXPECT_EQ(done.state(), v1::SUCCEEDED) << done.error();
}

}  // namespace
}  // namespace strata::coordinator
