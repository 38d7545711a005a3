// Cambricon-LLM (issue 20, docs/cambricon-llm.md): its spec checks name the
// field and the allowed range, every decode weight GEMV runs in the flash
// (no-tiling), a flash-bound run speeds up with the channels it is spread
// over, never beyond the dies' one page per tR, and the tiled mode (§V-B)
// sends the NPU its share of the weights as page reads over the channels.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "services/coordinator/tests/job_test_util.h"
#include "services/host/compute/flash_gemv_executor.h"
#include "services/systems/cambricon_llm/cambricon_llm_system.h"
#include "services/systems/cambricon_llm/tiled_gemv_executor.h"

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
  ExpectRejected(Job(kSmall, "npu_weight_share: 1.5"), "system.cambricon_llm.npu_weight_share = 1.5; allowed: 0 to 1");
  ExpectRejected(Job(kSmall, "tiling: NO_TILING npu_weight_share: 0.1"),
                 "system.cambricon_llm.npu_weight_share = 0.1; allowed: unset with tiling NO_TILING");
  ExpectRejected(Job(kSmall, "planes_per_die: 3"),
                 "system.cambricon_llm.planes_per_die = 3; allowed: an even number with tiling TILED");
}

// No tiling: every decode GEMV is a flash request, none runs on the NPU,
// and the flash reads at least each token's weights once (pages are whole
// per plane, so a little more).
TEST(CambriconLlmTest, EveryDecodeWeightGemvRunsInTheFlash) {
  auto spec = NormalizeJobSpec(Spec(Job(kSmall, "tiling: NO_TILING channels: 4 chips_per_channel: 2")));
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
    auto r = RunJob(Spec(Job(kSmall, absl::StrCat("tiling: NO_TILING channels: ", channels, " chips_per_channel: 2"))));
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

// The default is the tiled mode, each op split by §V-B's balance; overall
// the NPU's byte share is B_channel / (B_flash + B_channel): on -L 0.10, on
// -S 0.31 (docs/cambricon-llm.md, scripts/cambricon_llm_estimate.py).
TEST(CambriconLlmTest, TiledIsTheDefaultWithTheBalancedShareOfSectionVB) {
  auto large = NormalizeJobSpec(Spec(Job(kSmall, "")));
  ASSERT_TRUE(large.ok()) << large.status();
  const v1::CambriconLlmSystem& l = large->system().cambricon_llm();
  EXPECT_EQ(l.tiling(), v1::TILED);
  EXPECT_FALSE(l.has_npu_weight_share());
  EXPECT_NEAR(systems::BalancedNpuWeightShare(l, systems::CambriconLlmNandConfig(l, large->simulation(), false)),
              0.101, 0.001);
  auto small = NormalizeJobSpec(Spec(Job(kSmall, "channels: 8 chips_per_channel: 2")));
  ASSERT_TRUE(small.ok()) << small.status();
  const v1::CambriconLlmSystem& s = small->system().cambricon_llm();
  EXPECT_NEAR(systems::BalancedNpuWeightShare(s, systems::CambriconLlmNandConfig(s, small->simulation(), false)),
              0.312, 0.001);
}

struct TiledRun {
  double tokens_per_second = 0;
  double channel_utilization = 0;
  double host_gemv_us = 0;
  uint64_t pages_computed = 0, pages_read = 0;
  v1::JobResult result;
};

// A -S-like flash (4 channels x 2 chips x 2 dies): the NPU's share of the
// pages read over the channels, and what the run shows.
TiledRun RunTiled(const std::string& fields, const char* model_and_workload = kSmall) {
  TiledRun t;
  auto spec =
      NormalizeJobSpec(Spec(Job(model_and_workload, absl::StrCat("channels: 4 chips_per_channel: 2 ", fields))));
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok()) return t;
  auto job = BuildJob(*spec);
  EXPECT_TRUE(job.ok()) << job.status();
  sim::RunOptions options;
  options.seed = 1;
  EXPECT_TRUE(sim::Run(*job->sim, options).ok());
  if (const auto* tiled = dynamic_cast<const systems::TiledGemvExecutor*>(job->offload)) {
    t.pages_computed = tiled->pages_computed();
    t.pages_read = tiled->pages_read_for_npu();
  } else {
    t.pages_computed = dynamic_cast<const host::FlashGemvExecutor&>(*job->offload).pages_requested();
  }
  auto r = RunJob(*spec);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return t;
  t.result = *r;
  t.tokens_per_second = r->tokens_per_second();
  t.host_gemv_us = r->time_per_token_breakdown().host_gemv_us();
  for (const auto& u : r->utilization()) {
    if (u.resource() == "flash_channels") t.channel_utilization = u.utilization();
  }
  return t;
}

// The NPU's pages are the share asked for (whole pages per compute plane,
// so within a few percent) and occupy the channels: their busy share rises
// with the share. Up to the §V-B balance (0.31 here) the cores finish each
// op last and tokens/s rises; beyond it (0.6) the NPU's reads bound the ops
// (host_gemv time) and tokens/s falls again. (Fails when the NPU's pages
// are counted but not sent as reads: the channels stay idle.)
TEST(CambriconLlmTest, TheNpuShareIsReadOverTheChannelsAndRaisesTheirBusyShare) {
  double previous_utilization = -1;
  double at_balance = 0;
  for (double share : {0.0, 0.15, 0.3, 0.6}) {
    const TiledRun t = RunTiled(absl::StrCat("tiling: TILED npu_weight_share: ", share));
    const double read_share =
        static_cast<double>(t.pages_read) / static_cast<double>(t.pages_read + t.pages_computed);
    std::printf("share %.2f: NPU pages %.3f, channels busy %.3f, %.2f tokens/s, host_gemv %.0f us\n", share,
                read_share, t.channel_utilization, t.tokens_per_second, t.host_gemv_us);
    EXPECT_NEAR(read_share, share, 0.04) << share;
    EXPECT_GT(t.channel_utilization, previous_utilization + (share > 0 ? 0.05 : 0)) << share;
    previous_utilization = t.channel_utilization;
    if (share == 0.3) at_balance = t.tokens_per_second;
    if (share == 0.6) {
      EXPECT_GT(t.host_gemv_us, 0.5 * 1e6 / t.tokens_per_second);  // the reads bound most of the token
      EXPECT_LT(t.tokens_per_second, at_balance);
    } else {
      EXPECT_EQ(t.host_gemv_us, 0) << share;
    }
  }
}

// Share 0 with the tiled layout computes every page on the compute planes:
// the same pages as NO_TILING and, since one plane feeding the core at one
// page per tR is what two planes taking turns give, the same tokens/s
// within the TLC page types' jitter (a CSB page takes 34.5 us, the core
// 30 us: a single plane cannot run ahead).
TEST(CambriconLlmTest, ShareZeroMatchesNoTiling) {
  const TiledRun zero = RunTiled("tiling: TILED npu_weight_share: 0");
  const TiledRun none = RunTiled("tiling: NO_TILING");
  std::printf("share 0: %.3f tokens/s, no tiling: %.3f\n", zero.tokens_per_second, none.tokens_per_second);
  EXPECT_EQ(zero.pages_read, 0u);
  EXPECT_EQ(zero.pages_computed, none.pages_computed);
  EXPECT_NEAR(zero.tokens_per_second / none.tokens_per_second, 1.0, 0.05);
  // An FFN of 963 pages over 16 compute planes (60.2 each): share 0 still
  // leaves the NPU nothing (the rounding to the nearest page is for shares
  // above 0).
  const TiledRun odd = RunTiled("tiling: TILED npu_weight_share: 0",
                                R"pb(model { custom { name: "odd" layers: 2 hidden: 2048 ffn: 7700 heads: 16
                                                      vocab: 32000 } }
                                     workload { prompt_tokens: 4 decode_tokens: 2 })pb");
  EXPECT_EQ(odd.pages_read, 0u);
  EXPECT_GT(odd.pages_computed, 0u);
}

// §V-B's point: with the balanced split the NPU's reads use the channels'
// idle time, so the tiled run is faster than no tiling (Fig. 14: 1.3-1.4x
// on -S), and no faster than the cores' pages shrinking by the balanced
// share, 1 / (1 - share). Energy parts still add up, the NPU's MACs included.
TEST(CambriconLlmTest, TheBalancedTilingBeatsNoTilingByAtMostItsShare) {
  const TiledRun tiled = RunTiled("");
  const TiledRun none = RunTiled("tiling: NO_TILING");
  const double share = 0.312;  // §V-B with 4 dies a channel, as -S (channels cancel out)
  std::printf("tiled %.3f tokens/s, no tiling %.3f: %.3fx (bound %.3fx)\n", tiled.tokens_per_second,
              none.tokens_per_second, tiled.tokens_per_second / none.tokens_per_second, 1 / (1 - share));
  EXPECT_GT(tiled.tokens_per_second, 1.15 * none.tokens_per_second);
  EXPECT_LT(tiled.tokens_per_second, 1.05 / (1 - share) * none.tokens_per_second);
  const v1::EnergyParts& p = tiled.result.energy().per_token();
  const double sum = p.flash_array() + p.ecc() + p.flash_bus() + p.pe_compute() + p.host_compute() + p.dram() +
                     p.pcie_nvme() + p.static_power() + p.flash_program();
  EXPECT_NEAR(sum, tiled.result.energy().joules_per_token(), 1e-9 * sum);
  EXPECT_GT(p.flash_bus(), none.result.energy().per_token().flash_bus());
}

}  // namespace
}  // namespace strata::coordinator
