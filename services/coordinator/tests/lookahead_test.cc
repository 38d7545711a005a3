// Lookahead from the models on real jobs: every system gives one digest on
// 1, 2 and 4 partitions with both sync algorithms, at PAGE and STREAM
// fidelity. The NAND channels and the flash GEMV executor declare reaction
// times and promise their responses (services/nand/flash/nand_channel.h);
// the kernel checks every send against them, so a bound that is wrong
// fails these runs with a causality error instead of passing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/coordinator/job/job_runner.h"
#include "services/systems/core/run_summary.h"
#include "strata/sim/partitioner.h"
#include "tests/job_test_util.h"

namespace strata::coordinator {
namespace {

using testing::ExpectSameDigestEverywhere;
using testing::Spec;

// A small dense model (4 layers, hidden 2048, FFN 8192, INT8), so a PAGE
// run of every system stays within seconds.
constexpr const char* kSmallModel =
    R"pb(model { custom { name: "small" layers: 4 hidden: 2048 ffn: 8192 heads: 16 vocab: 32000 } }
         workload { prompt_tokens: 4 decode_tokens: 2 })pb";

struct System {
  const char* name;
  const char* fields;  // the text inside system { }
};
void PrintTo(const System& s, std::ostream* os) { *os << s.name; }

class EverySystemTest : public ::testing::TestWithParam<System> {};

TEST_P(EverySystemTest, OneDigestOnAnyPartitionCountSyncAndBothFidelities) {
  // STREAM on 1, 2 and 4 partitions with both sync algorithms; PAGE (many
  // more events) on 1 and 2 with both, and on 4 with windows: 4 threads on
  // this 2-core machine under null messages take minutes for AiF.
  const std::string base = absl::StrCat(kSmallModel, " system { ", GetParam().fields, " }");
  const std::string stream =
      ExpectSameDigestEverywhere(Spec(absl::StrCat(base, " simulation { fidelity: STREAM }")), {1, 2, 4},
                                 absl::StrCat(GetParam().name, " STREAM"));
  EXPECT_FALSE(stream.empty());
  v1::JobSpec page = Spec(absl::StrCat(base, " simulation { fidelity: PAGE }"));
  const std::string reference = ExpectSameDigestEverywhere(page, {1, 2}, absl::StrCat(GetParam().name, " PAGE"));
  ASSERT_FALSE(reference.empty());
  page.mutable_simulation()->set_partitions(4);
  page.mutable_simulation()->set_sync(v1::WINDOW);
  auto four = RunJob(page);
  ASSERT_TRUE(four.ok()) << four.status();
  EXPECT_EQ(four->digest(), reference) << GetParam().name << " PAGE on 4 partitions";
}

// The partitioner keeps every zero-latency link inside one partition (the
// NAND array's dies and channel share a group), for any partition count.
TEST_P(EverySystemTest, ThePlannerNeverCutsAZeroLatencyLink) {
  auto spec = NormalizeJobSpec(Spec(absl::StrCat(kSmallModel, " system { ", GetParam().fields, " }")));
  ASSERT_TRUE(spec.ok()) << spec.status();
  for (int partitions : {2, 3, 4, 8}) {
    auto job = BuildJob(*spec);
    ASSERT_TRUE(job.ok()) << job.status();
    auto plan = sim::PartitionByGroup(*job->sim, partitions);
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_TRUE(sim::CheckCrossPartitionLatency(*job->sim, *plan).ok()) << GetParam().name << " on " << partitions;
  }
}

// simulation.event_set changes the kernel's pending-event set, never the
// order it pops: NVLLM at PAGE (many equal times) gives one digest on every
// set, on 1 and 2 partitions with both sync algorithms.
TEST(EventSetJobTest, EverySetGivesTheSameDigest) {
  const std::string base = absl::StrCat(kSmallModel, " system { nvllm { flash { planes_per_die: 8 } } }");
  std::string reference;
  for (const char* set : {"HEAP4", "RADIX", "CALENDAR"}) {
    const std::string digest = ExpectSameDigestEverywhere(
        Spec(absl::StrCat(base, " simulation { fidelity: PAGE event_set: ", set, " }")), {1, 2}, set);
    ASSERT_FALSE(digest.empty()) << set;
    if (reference.empty()) reference = digest;
    EXPECT_EQ(digest, reference) << set;
  }
}

TEST(EventSetJobTest, TheSpecChoosesTheKernelsSet) {
  EXPECT_EQ(systems::EventSetOf(Spec("simulation { }")), sim::EventSetKind::kQuaternaryHeap);
  EXPECT_EQ(systems::EventSetOf(Spec("simulation { event_set: HEAP4 }")), sim::EventSetKind::kQuaternaryHeap);
  EXPECT_EQ(systems::EventSetOf(Spec("simulation { event_set: RADIX }")), sim::EventSetKind::kRadixHeap);
  EXPECT_EQ(systems::EventSetOf(Spec("simulation { event_set: CALENDAR }")), sim::EventSetKind::kCalendarQueue);
}

INSTANTIATE_TEST_SUITE_P(Systems, EverySystemTest,
                         ::testing::Values(System{"nvllm", "nvllm { flash { planes_per_die: 8 } }"},
                                           System{"aif", "aif { }"},
                                           System{"aif_parallel", "aif { execution: PARALLEL }"},
                                           System{"ssd_isc", "ssd_isc { flash { planes_per_die: 8 } }"},
                                           System{"ssd_offload", "ssd_offload { page_cache_gib: 0.125 }"},
                                           System{"in_memory", "in_memory { }"},
                                           System{"gpu_out_of_core", "gpu_out_of_core { weight_budget_gib: 0.1 }"},
                                           System{"cambricon_llm", "cambricon_llm { channels: 4 chips_per_channel: 2 }"},
                                           System{"cambricon_llm_no_tiling",
                                                  "cambricon_llm { channels: 4 chips_per_channel: 2 tiling: NO_TILING }"}),
                         [](const ::testing::TestParamInfo<System>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace strata::coordinator
