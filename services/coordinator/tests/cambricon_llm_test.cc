// Cambricon-LLM (issue 20, docs/cambricon-llm.md): its spec checks name the
// field and the allowed range, every decode weight GEMV runs in the flash
// (no-tiling), and a flash-bound run speeds up with the channels it is
// spread over, never beyond the dies' one page per tR.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "services/coordinator/tests/job_test_util.h"
#include "services/host/compute/flash_gemv_executor.h"

namespace strata::coordinator {
namespace {

using testing::ExpectRejected;
using testing::Spec;

constexpr const char* kSmall =
    R"pb(model { custom { name: "small" layers: 4 hidden: 2048 ffn: 8192 heads: 16 vocab: 32000 } }
         workload { prompt_tokens: 4 decode_tokens: 2 })pb";

std::string Job(const std::string& model_and_workload, const std::string& fields) {
  return absl::StrCat(model_and_workload, " system { cambricon_llm { ", fields, " } }");
}

TEST(CambriconLlmTest, BadFieldsAreRejectedNamingTheFieldAndTheAllowedRange) {
  ExpectRejected(Job(kSmall, "channels: 65"), "system.cambricon_llm.channels = 65; allowed: 1 to 64");
  ExpectRejected(Job(kSmall, "chips_per_channel: 16"),
                 "system.cambricon_llm.chips_per_channel = 16; allowed: 1 to 8 at dies_per_chip = 2");
  ExpectRejected(Job(kSmall, "core_macs_per_cycle: -1"), "system.cambricon_llm.core_macs_per_cycle = -1; allowed:");
  ExpectRejected(Job(R"pb(model { catalog_name: "llama-2-70b" } workload { prompt_tokens: 4 decode_tokens: 1 })pb",
                     "blocks_per_plane: 100"),
                 "system.cambricon_llm.blocks_per_plane = 100; allowed: 321 to 100000");
  ExpectRejected(Job(R"pb(model { catalog_name: "llama-2-7b" } workload { prompt_tokens: 992 decode_tokens: 8 })pb",
                     "dram { capacity_gib: 0.25 }"),
                 "system.cambricon_llm.dram.capacity_gib = 0.25; allowed: at least 0.48");
  ExpectRejected(Job(R"pb(model { catalog_name: "llama-2-7b" weight_type: INT4 }
                          workload { prompt_tokens: 4 decode_tokens: 1 })pb",
                     ""),
                 "model.weight_type = INT4 is not simulated on system.cambricon_llm");
}

// No tiling: every decode GEMV is a flash request, none runs on the NPU,
// and the flash reads at least each token's weights once (pages are whole
// per plane, so a little more).
TEST(CambriconLlmTest, EveryDecodeWeightGemvRunsInTheFlash) {
  auto spec = NormalizeJobSpec(Spec(Job(kSmall, "channels: 4 chips_per_channel: 2")));
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto job = BuildJob(*spec);
  ASSERT_TRUE(job.ok()) << job.status();
  sim::RunOptions options;
  options.seed = 1;
  ASSERT_TRUE(sim::Run(*job->sim, options).ok());
  const auto& flash = dynamic_cast<const host::FlashGemvExecutor&>(*job->offload);
  const host::ModelShape& s = job->shape;
  const int64_t weights = s.layers * (4 * s.hidden * s.hidden + 3 * s.hidden * s.ffn) + s.vocab * s.hidden;
  const int64_t pages = 2 * weights / 16384;  // two decode tokens, INT8
  EXPECT_GE(static_cast<int64_t>(flash.pages_requested()), pages);
  EXPECT_LE(static_cast<int64_t>(flash.pages_requested()), pages * 11 / 10);
  auto r = RunJob(*spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->time_per_token_breakdown().host_gemv_us(), 0);
  EXPECT_GT(r->time_per_token_breakdown().pe_compute_us(), 0);
}

// A flash-bound decode spreads each matrix over every die: doubling the
// channels (and so the dies) raises tokens/s, and no run beats every die
// computing one page per tR (30 us) on the token's weights.
TEST(CambriconLlmTest, TokensPerSecondRiseWithChannelsUpToOnePagePerDiePerTr) {
  double previous = 0;
  for (int channels : {2, 4, 8}) {
    auto r = RunJob(Spec(Job(kSmall, absl::StrCat("channels: ", channels, " chips_per_channel: 2"))));
    ASSERT_TRUE(r.ok()) << r.status();
    const double dies = channels * 2 * 2;
    const double weight_bytes = 4.0 * (4 * 2048.0 * 2048 + 3 * 2048.0 * 8192) + 32000.0 * 2048;
    const double bound = dies * 16384 / 30e-6 / weight_bytes;
    std::printf("%d channels: %.2f tokens/s (one page per die per tR: %.2f)\n", channels, r->tokens_per_second(), bound);
    EXPECT_GT(r->tokens_per_second(), previous * 1.3) << channels;
    EXPECT_LT(r->tokens_per_second(), bound) << channels;
    previous = r->tokens_per_second();
  }
}

}  // namespace
}  // namespace strata::coordinator
