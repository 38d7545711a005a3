// Work that overlaps: NVLLM's KV prefetch under the flash FFN, AiF's
// parallel host/SSD execution, and the critical-path breakdown of branches
// that share a processor (parallel attention, mixture of experts).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/job_test_util.h"
#include "services/systems/aif/aif_executor.h"

namespace strata::coordinator {
namespace {

using testing::BreakdownSum;
using testing::ExpectSameDigestEverywhere;
using testing::Spec;

// ---- NVLLM: KV-cache-aware scheduler with prefetch ----

// LLaMA-2-7B on NVLLM with its attention side spelled out (the defaults).
v1::JobSpec NvllmSpec(const std::string& nvllm_fields) {
  return Spec(absl::StrCat(R"pb(model { catalog_name: "llama-2-7b" }
                                workload { prompt_tokens: 16 decode_tokens: 2 }
                                system { nvllm { attention_logic { peak_tflops: 4 vector_gflops: 500 per_op_overhead_us: 0.1 }
                                                 dram { bandwidth_gbps: 51.2 } )pb",
                           nvllm_fields, "} }"));
}

TEST(KvPrefetchTest, LoadsHiddenUnderTheFfnSaveExactlyTheirDramTime) {
  auto off = RunJob(NvllmSpec("kv_scheduling: NO_PREFETCH"));
  auto on = RunJob(NvllmSpec("kv_scheduling: PREFETCH_NEXT_LAYER kv_buffer_kib: 4096"));
  ASSERT_TRUE(off.ok() && on.ok()) << off.status() << on.status();
  // LLaMA-2-7B: K and V rows of 4096 fp16 values, 16 KiB per token per
  // layer. Decoded token t reads context = 16 + t rows and writes one. With
  // prefetch, layers 1..31 load the 16 + t - 1 rows cached before the token
  // while the previous layer's FFN streams ~90 MB through the flash (~430 us
  // against ~6 us of loading): the attention op keeps 2 rows of traffic.
  // LPDDR5 read at its sustained 0.88 of 51.2 GB/s (issue 19).
  auto attention_us = [](double flops, double bytes) { return std::max(flops / 4e12, bytes / (51.2e9 * 0.88)) * 1e6; };
  const double kv_row = 2 * 4096 * 2;
  double saved_us = 0;
  for (int t : {1, 2}) {
    const double context = 16 + t, flops = 4 * 4096 * context;
    saved_us += 31 * (attention_us(flops, (context + 1) * kv_row) - attention_us(flops, 2 * kv_row));
  }
  saved_us /= 2;  // per token
  EXPECT_NEAR(off->time_per_token_us() - on->time_per_token_us(), saved_us, 1e-3);
  EXPECT_GT(on->tokens_per_second(), off->tokens_per_second());
  EXPECT_NEAR(BreakdownSum(on->time_per_token_breakdown()), on->time_per_token_us(), 1e-6 * on->time_per_token_us());
  // The hidden loads left host attention: what remains is compute-sized.
  EXPECT_NEAR(off->time_per_token_breakdown().host_attention_us() - on->time_per_token_breakdown().host_attention_us(),
              saved_us, 1e-3);
}

TEST(KvPrefetchTest, AZeroByteBufferIsTheSameRunAsNoPrefetch) {
  auto off = RunJob(NvllmSpec("kv_scheduling: NO_PREFETCH"));
  auto zero = RunJob(NvllmSpec("kv_buffer_kib: 0"));
  ASSERT_TRUE(off.ok() && zero.ok());
  EXPECT_EQ(zero->digest(), off->digest());
  EXPECT_EQ(zero->time_per_token_us(), off->time_per_token_us());
}

TEST(KvPrefetchTest, IsOnByDefaultForNvllmAndNeverSlower) {
  for (const char* model : {"llama-2-70b", "opt-30b"}) {
    const std::string job = absl::StrCat("model { catalog_name: \"", model,
                                         "\" } workload { prompt_tokens: 64 decode_tokens: 1 } system { nvllm { ");
    auto normalized = NormalizeJobSpec(Spec(absl::StrCat(job, "} }")));
    ASSERT_TRUE(normalized.ok()) << normalized.status();
    EXPECT_EQ(normalized->system().nvllm().kv_scheduling(), v1::PREFETCH_NEXT_LAYER);
    EXPECT_EQ(normalized->system().nvllm().kv_buffer_kib(), 4096);
    auto on = RunJob(*normalized);
    auto off = RunJob(Spec(absl::StrCat(job, "kv_scheduling: NO_PREFETCH } }")));
    ASSERT_TRUE(on.ok() && off.ok());
    EXPECT_GE(on->tokens_per_second(), off->tokens_per_second()) << model;
  }
}

// ---- AiF: parallel host/SSD execution ----

// A small dense model (4 layers, hidden 2048, FFN 8192): 334 MB of GEMV
// weights per token, enough that the weight streams, not NVMe overheads,
// set the time.
constexpr const char* kSmallModel =
    R"pb(model { custom { name: "small" layers: 4 hidden: 2048 ffn: 8192 heads: 16 vocab: 32000 } }
         workload { prompt_tokens: 8 decode_tokens: 3 })pb";
// A tiny one whose split is easy to write out by hand.
constexpr const char* kTinyModel =
    R"pb(model { custom { name: "tiny" layers: 2 hidden: 1024 ffn: 2816 heads: 8 vocab: 4096 } }
         workload { prompt_tokens: 8 decode_tokens: 2 })pb";

v1::JobSpec AifSpec(const char* model, const std::string& aif_fields) {
  return Spec(absl::StrCat(model, " system { aif { ", aif_fields, " } }"));
}

TEST(AifParallelTest, SerialWithAZeroShareIsTheDefaultRun) {
  auto plain = RunJob(AifSpec(kTinyModel, ""));
  auto serial = RunJob(AifSpec(kTinyModel, "execution: SERIAL host_share: 0"));
  ASSERT_TRUE(plain.ok() && serial.ok());
  EXPECT_EQ(serial->digest(), plain->digest());
}

TEST(AifParallelTest, AutoShareBalancesDramAgainstTheSsdsInternalBandwidth) {
  auto spec = NormalizeJobSpec(AifSpec(kSmallModel, "execution: PARALLEL"));
  ASSERT_TRUE(spec.ok()) << spec.status();
  // Host DDR5 86.4 GB/s read at its sustained 0.88; SSD 16 chips x 6.4 GB/s
  // = 102.4 GB/s (REFERENCE.md).
  EXPECT_NEAR(spec->system().aif().host_share(), 86.4 * 0.88 / (86.4 * 0.88 + 102.4), 1e-12);
}

TEST(AifParallelTest, AutoShareIsCappedByWhatFitsInDramBesideTheKvCache) {
  auto spec = NormalizeJobSpec(Spec(R"pb(model { catalog_name: "llama-2-7b" } workload { prompt_tokens: 16 decode_tokens: 2 }
                                         system { aif { execution: PARALLEL dram { capacity_gib: 2 } } })pb"));
  ASSERT_TRUE(spec.ok()) << spec.status();
  const double share = spec->system().aif().host_share();
  const double room = 2.0 * (1 << 30) - 2.0 * 32 * 4096 * 2 * (16 + 2);  // DRAM less the KV cache
  auto shape = host::FindModel("llama-2-7b");
  const auto resident = static_cast<double>(systems::AifExecutor::HostResidentBytes(*shape, share));
  EXPECT_LT(share, 86.4 / (86.4 + 102.4));
  EXPECT_LE(resident, room);
  EXPECT_GE(resident, 0.99 * room);
}

TEST(AifParallelTest, AifPostPlacesOnlyTheSsdsRows) {
  auto spec = NormalizeJobSpec(AifSpec(kTinyModel, "execution: PARALLEL host_share: 0.25"));
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto job = BuildJob(*spec);
  ASSERT_TRUE(job.ok()) << job.status();
  sim::RunOptions o;
  ASSERT_TRUE(sim::Run(*job->sim, o).ok());
  // Rows x cols of each matrix, and the host's round(rows / 4) of them:
  // QKV 3072 x 1024 (768), output 1024 x 1024 (256), gate+up 5632 x 1024
  // (1408), down 1024 x 2816 (256), per layer; LM head 4096 x 1024 (1024).
  const int64_t all = 2 * (3072 * 1024 + 1024 * 1024 + 5632 * 1024 + 1024 * 2816) + 4096 * 1024;
  const int64_t host = 2 * (768 * 1024 + 256 * 1024 + 1408 * 1024 + 256 * 2816) + 1024 * 1024;
  EXPECT_EQ(static_cast<int64_t>(dynamic_cast<const systems::AifExecutor&>(*job->offload).posted_bytes()), all - host);
  EXPECT_EQ(static_cast<int64_t>(systems::AifExecutor::HostResidentBytes(job->shape, 0.25)), host);
}

TEST(AifParallelTest, ParallelIsFasterThanSerialAndItsBreakdownAddsUp) {
  auto serial = RunJob(AifSpec(kSmallModel, ""));
  auto parallel = RunJob(AifSpec(kSmallModel, "execution: PARALLEL"));
  ASSERT_TRUE(serial.ok() && parallel.ok()) << serial.status() << parallel.status();
  EXPECT_GE(parallel->tokens_per_second(), serial->tokens_per_second());
  // Same weight bytes per token, split between host and SSD.
  EXPECT_EQ(parallel->weight_bytes_per_token(), serial->weight_bytes_per_token());
  const v1::TimeBreakdown& b = parallel->time_per_token_breakdown();
  EXPECT_NEAR(BreakdownSum(b), parallel->time_per_token_us(), 1e-6 * parallel->time_per_token_us());
}

TEST(AifParallelTest, DigestsAgreeAcrossPartitionsAndSync) {
  EXPECT_FALSE(ExpectSameDigestEverywhere(AifSpec(kTinyModel, "execution: PARALLEL host_share: 0.3"), {1, 2},
                                          "aif parallel")
                   .empty());
}

TEST(AifParallelTest, BadSharesNameTheFieldAndTheAllowedRange) {
  struct Case {
    std::string spec;
    const char* message;
  } cases[] = {
      {absl::StrCat(kTinyModel, " system { aif { host_share: 0.3 } }"),
       "system.aif.host_share = 0.3; allowed: 0 under execution SERIAL"},
      {absl::StrCat(kTinyModel, " system { aif { execution: PARALLEL host_share: 1.5 } }"),
       "system.aif.host_share = 1.5; allowed: 0 (auto) to below 1"},
      {R"pb(model { catalog_name: "llama-2-70b" } system { aif { execution: PARALLEL host_share: 0.5 } })pb",
       "system.aif.host_share = 0.5; allowed: 0 (auto) to 0.1"},
      {absl::StrCat(kTinyModel, " system { nvllm { kv_buffer_kib: -1 } }"),
       "system.nvllm.kv_buffer_kib = -1; allowed: 0 to 1048576"},
  };
  for (const Case& c : cases) testing::ExpectRejected(c.spec, c.message);
}

// ---- Breakdown of branches that share one processor ----

TEST(OverlapBreakdownTest, ParallelAttentionOnAHostOnlySystemShowsEveryAttentionOpOnThePath) {
  // Falcon-11B in memory: the attention and FFN branches share the CPU,
  // which never idles within a token, so every op lies on the critical
  // path. Attention per layer reads context + 1 rows of K and V (8 KV heads
  // x 128 = 1024 fp16 values each: 4096 bytes) at 86.4 GB/s, or computes
  // 4 x 4096 x context FLOPs at 2 TFLOP/s.
  auto r = RunJob(Spec(R"pb(model { catalog_name: "falcon-11b" } workload { prompt_tokens: 16 decode_tokens: 2 }
                            system { in_memory {} })pb"));
  ASSERT_TRUE(r.ok()) << r.status();
  double attention_us = 0;
  for (int t : {1, 2}) {
    const double context = 16 + t;
    attention_us += 60 * std::max(4 * 4096 * context / 2e12, (context + 1) * 4096 / (86.4e9 * 0.88)) * 1e6;
  }
  const v1::TimeBreakdown& b = r->time_per_token_breakdown();
  EXPECT_NEAR(b.host_attention_us(), attention_us / 2, 1e-3);
  EXPECT_NEAR(BreakdownSum(b), r->time_per_token_us(), 1e-6 * r->time_per_token_us());
  // Only the driver's dispatch links are left as synchronisation.
  EXPECT_LT(b.synchronization_us(), 1e-3 * r->time_per_token_us());
}

TEST(OverlapBreakdownTest, BranchesQueuedOnTheCpuOrTheSsdAreNotSynchronisation) {
  // Parallel attention (GPT-NeoX) and two routed experts (Mixtral) put two
  // branches on one serial unit: the in-memory CPU, or AiF's SSD, which
  // runs one aif_gemv at a time. The branch that ends last waited for the
  // other's work, and that work is what the breakdown shows.
  for (const char* system : {"in_memory {}", "aif {}"}) {
    for (const char* model : {"gpt-neox-20b", "mixtral-8x7b"}) {
      auto r = RunJob(Spec(absl::StrCat("model { catalog_name: \"", model,
                                        "\" } workload { prompt_tokens: 16 decode_tokens: 2 } system { ", system, " }")));
      ASSERT_TRUE(r.ok()) << r.status();
      const v1::TimeBreakdown& b = r->time_per_token_breakdown();
      const std::string label = absl::StrCat(model, " on ", system);
      if (absl::StartsWith(system, "in_memory")) {
        EXPECT_GT(b.host_attention_us(), 0) << label;
      }
      EXPECT_LT(b.synchronization_us(), 1e-3 * r->time_per_token_us()) << label;
      EXPECT_NEAR(BreakdownSum(b), r->time_per_token_us(), 1e-6 * r->time_per_token_us()) << label;
    }
  }
}

}  // namespace
}  // namespace strata::coordinator
