#include "workload/decode_driver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace strata::host {
namespace {

DriverConfig ConfigFor(const std::string& model) {
  DriverConfig c;
  c.shape = *FindModel(model);
  c.weight_type = WeightType::kInt8;
  c.prompt_tokens = 64;
  c.decode_tokens = 4;
  return c;
}

int64_t WeightBytes(const TokenGraph& g) {
  int64_t sum = 0;
  for (const Op& op : g.ops) sum += op.weight_bytes;
  return sum;
}

TEST(TokenGraphTest, ADecodedTokenReadsExactlyTheModelsPerTokenWeightBytes) {
  for (const char* model : {"llama-2-70b", "opt-30b", "falcon-40b", "gpt-neox-20b", "llama-3-8b"}) {
    const DriverConfig c = ConfigFor(model);
    const TokenGraph g = BuildTokenGraph(c, 1, 0, std::vector<std::vector<int>>(c.shape.layers));
    EXPECT_EQ(WeightBytes(g), WeightBytesPerToken(c.shape, WeightType::kInt8)) << model;
  }
}

// GemvInputWidth is what in-flash executors lay a matrix's rows out by:
// every decode GEMV's flops must be 2 x its matrix's output rows x that
// width, with the rows each matrix has in the model (Q/K/V stacked, the
// output projection, SwiGLU's gate + up or fc1, down or fc2, the LM head).
TEST(TokenGraphTest, EveryGemvIsItsMatricesRowsTimesItsInputWidth) {
  for (const char* model : {"llama-2-70b", "opt-30b", "mixtral-8x7b"}) {
    const DriverConfig c = ConfigFor(model);
    const ModelShape& s = c.shape;
    const std::vector<std::vector<int>> routed(s.layers, std::vector<int>{0, 3});
    const TokenGraph g = BuildTokenGraph(c, 1, 0, routed);
    int gemvs = 0;
    for (const Op& op : g.ops) {
      if (op.kind != OpKind::kGemv) continue;
      int64_t rows = 0, width = s.hidden;
      if (op.matrix == kMatrixQkv) rows = s.hidden + 2 * s.kv_dim();
      if (op.matrix == kMatrixOut) rows = s.hidden;
      if (op.matrix == kMatrixRouter) rows = s.experts;
      if (op.matrix == kMatrixLmHead) rows = s.vocab;
      if (op.matrix >= kMatrixExpertBase) {
        const bool input = (op.matrix - kMatrixExpertBase) % 2 == 0;
        rows = input ? (s.ffn_kind == FfnKind::kSwiGlu ? 2 : 1) * s.ffn : s.hidden;
        width = input ? s.hidden : s.ffn;
      }
      ASSERT_GT(rows, 0) << model << " matrix " << op.matrix;
      EXPECT_EQ(GemvInputWidth(s, op.matrix), width) << model << " matrix " << op.matrix;
      EXPECT_EQ(op.flops, 2 * rows * width) << model << " matrix " << op.matrix;
      ++gemvs;
    }
    EXPECT_GT(gemvs, 4 * s.layers) << model;
  }
}

TEST(TokenGraphTest, MixtureOfExpertsReadsOnlyTheRoutedExperts) {
  const DriverConfig c = ConfigFor("mixtral-8x7b");
  const std::vector<std::vector<int>> routed(c.shape.layers, std::vector<int>{1, 6});
  const TokenGraph g = BuildTokenGraph(c, 1, 0, routed);
  EXPECT_EQ(WeightBytes(g), WeightBytesPerToken(c.shape, WeightType::kInt8));
  // Prefill reads all eight experts of every layer once.
  const TokenGraph prefill = BuildTokenGraph(c, 0, 0, std::vector<std::vector<int>>(c.shape.layers));
  const LayerMatrices m = MatricesOf(c.shape);
  EXPECT_EQ(WeightBytes(prefill) - WeightBytes(g), int64_t{32} * 6 * (m.ffn_in + m.ffn_out));
}

TEST(TokenGraphTest, DependenciesPointBackwardAndEveryOpLeadsToTheLast) {
  for (const char* model : {"llama-2-7b", "falcon-11b", "mixtral-8x7b"}) {
    const DriverConfig c = ConfigFor(model);
    const TokenGraph g = BuildTokenGraph(c, 2, 100, std::vector<std::vector<int>>(c.shape.layers, {0, 1}));
    std::vector<bool> used(g.ops.size(), false);
    for (size_t i = 0; i < g.ops.size(); ++i) {
      EXPECT_EQ(g.ops[i].id, 100 + i);
      for (uint32_t d : g.deps[i]) {
        ASSERT_LT(d, i) << model;
        used[d] = true;
      }
    }
    // Only the final op is nobody's dependency: nothing dangles.
    for (size_t i = 0; i + 1 < g.ops.size(); ++i) EXPECT_TRUE(used[i]) << model << " op " << i;
  }
}

TEST(TokenGraphTest, ParallelModelsStartTheirFfnBesideAttention) {
  // In Falcon the first FFN matrix must not wait for the attention op.
  const DriverConfig c = ConfigFor("falcon-40b");
  const TokenGraph g = BuildTokenGraph(c, 1, 0, std::vector<std::vector<int>>(c.shape.layers));
  std::set<uint32_t> attention;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    if (g.ops[i].kind == OpKind::kAttention) attention.insert(static_cast<uint32_t>(i));
  }
  int ffn_checked = 0;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    if ((g.ops[i].flags & kFfn) == 0 || g.ops[i].layer != 0) continue;
    // Walk back from the first FFN matrix of layer 0: no attention op on the way.
    std::vector<uint32_t> stack = g.deps[i];
    while (!stack.empty()) {
      const uint32_t d = stack.back();
      stack.pop_back();
      EXPECT_EQ(attention.count(d), 0u);
      stack.insert(stack.end(), g.deps[d].begin(), g.deps[d].end());
    }
    ++ffn_checked;
    break;
  }
  EXPECT_EQ(ffn_checked, 1);
}

TEST(TokenGraphTest, AttentionTrafficGrowsByOneKvRowPerLayerPerToken) {
  const DriverConfig c = ConfigFor("llama-2-70b");
  const std::vector<std::vector<int>> none(c.shape.layers);
  auto attention_bytes = [&](uint32_t token) {
    int64_t sum = 0;
    for (const Op& op : BuildTokenGraph(c, token, 0, none).ops) {
      if (op.kind == OpKind::kAttention) sum += op.memory_bytes;
    }
    return sum;
  };
  // K and V rows of 1024 fp16 values per layer: 4096 bytes, 80 layers.
  EXPECT_EQ(attention_bytes(5) - attention_bytes(4), 80 * 2 * 1024 * 2);
  // In absolute terms: token 5 reads the 64 + 5 rows of context and writes
  // its own, 70 rows of 4096 bytes per layer.
  EXPECT_EQ(attention_bytes(5), int64_t{80} * 70 * 4096);
}

// The attention op of a decoded token, by hand for LLaMA-2-70B (hidden 8192,
// 8 KV heads of 128: kv 1024, fp16 cache) at token 5 of a 64-token prompt:
// context 69. Scores q.K^T take 2 h ctx FLOPs and the weighted sum of V
// another 2 h ctx: 4 x 8192 x 69 per layer; the cache traffic reads 69 K/V
// rows and writes one (2 x 1024 x 2 bytes each).
TEST(TokenGraphTest, DecodeAttentionCostsFourHiddenTimesContextFlopsPerLayer) {
  const DriverConfig c = ConfigFor("llama-2-70b");
  const TokenGraph g = BuildTokenGraph(c, 5, 0, std::vector<std::vector<int>>(c.shape.layers));
  int layers = 0;
  for (const Op& op : g.ops) {
    if (op.kind != OpKind::kAttention) continue;
    ++layers;
    EXPECT_EQ(op.flops, int64_t{4} * 8192 * 69) << "layer " << op.layer;
    EXPECT_EQ(op.memory_bytes, int64_t{70} * 2 * 1024 * 2) << "layer " << op.layer;
  }
  EXPECT_EQ(layers, 80);
  // Prefill: causal scores over the 64 prompt rows, half of 4 h P^2.
  const TokenGraph prefill = BuildTokenGraph(c, 0, 0, std::vector<std::vector<int>>(c.shape.layers));
  for (const Op& op : prefill.ops) {
    if (op.kind == OpKind::kAttention) {
      EXPECT_EQ(op.flops, int64_t{2} * 8192 * 64 * 64);
    }
  }
}

// Index of the op whose completion starts layer `layer`'s FFN: the dependency
// of that layer's first FFN matrix.
uint32_t FfnStartOf(const TokenGraph& g, int layer) {
  for (size_t i = 0; i < g.ops.size(); ++i) {
    if ((g.ops[i].flags & kFfn) != 0 && g.ops[i].layer == layer) return g.deps[i].front();
  }
  return 0xFFFFFFFF;
}

TEST(KvSchedulerTest, PrefetchLoadsEachLaterLayersCachedRowsWhileThePreviousFfnRuns) {
  DriverConfig c = ConfigFor("llama-2-70b");
  c.kv = {KvPolicy::kPrefetchNextLayer, int64_t{1} << 30};
  const uint32_t token = 3;
  const TokenGraph g = BuildTokenGraph(c, token, 0, std::vector<std::vector<int>>(c.shape.layers));
  // K and V rows of 1024 fp16 values: 4096 bytes; the cache held the prompt
  // and the two tokens before this one when the token began.
  const int64_t kv_row = 2 * 1024 * 2, cached = (64 + token - 1) * kv_row;
  int loads = 0;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    if (op.kind == OpKind::kKvLoad) {
      ++loads;
      EXPECT_NE(op.layer, 0);
      EXPECT_EQ(op.memory_bytes, cached);
      const auto& d = g.deps[i];
      EXPECT_NE(std::find(d.begin(), d.end(), FfnStartOf(g, op.layer - 1)), d.end()) << op.layer;
    }
    // What attention still reads: this token's own K and V row, and its write.
    if (op.kind == OpKind::kAttention && op.layer > 0) {
      EXPECT_EQ(op.memory_bytes, 2 * kv_row) << op.layer;
    }
  }
  EXPECT_EQ(loads, 79);
  // Prefill writes the cache: nothing to prefetch.
  for (const Op& op : BuildTokenGraph(c, 0, 0, std::vector<std::vector<int>>(c.shape.layers)).ops) {
    EXPECT_NE(op.kind, OpKind::kKvLoad);
  }
}

TEST(KvSchedulerTest, ABufferSmallerThanTheCacheLeavesTheRestToAttention) {
  DriverConfig off = ConfigFor("llama-2-70b");
  DriverConfig on = off;
  on.kv = {KvPolicy::kPrefetchNextLayer, 100'000};
  const std::vector<std::vector<int>> none(off.shape.layers);
  const TokenGraph a = BuildTokenGraph(off, 1, 0, none), b = BuildTokenGraph(on, 1, 0, none);
  auto bytes = [](const TokenGraph& g, OpKind kind, int layer) {
    int64_t sum = 0;
    for (const Op& op : g.ops) sum += op.kind == kind && op.layer == layer ? op.memory_bytes : 0;
    return sum;
  };
  EXPECT_EQ(bytes(b, OpKind::kKvLoad, 5), 100'000);
  EXPECT_EQ(bytes(b, OpKind::kAttention, 5), bytes(a, OpKind::kAttention, 5) - 100'000);
}

TEST(KvSchedulerTest, AZeroByteBufferBuildsTheSameGraphAsNoPrefetch) {
  DriverConfig off = ConfigFor("llama-2-7b");
  DriverConfig zero = off;
  zero.kv = {KvPolicy::kPrefetchNextLayer, 0};
  const std::vector<std::vector<int>> none(off.shape.layers);
  const TokenGraph a = BuildTokenGraph(off, 2, 7, none), b = BuildTokenGraph(zero, 2, 7, none);
  ASSERT_EQ(a.ops.size(), b.ops.size());
  for (size_t i = 0; i < a.ops.size(); ++i) {
    EXPECT_EQ(a.ops[i].kind, b.ops[i].kind);
    EXPECT_EQ(a.ops[i].memory_bytes, b.ops[i].memory_bytes);
    EXPECT_EQ(a.deps[i], b.deps[i]);
  }
}

TEST(HostShareTest, RowsRoundAndLeaveTheOffloadUnitAtLeastOneRow) {
  EXPECT_EQ(HostShareRows(10, 0.25), 3);  // 2.5 rounds away from zero
  EXPECT_EQ(HostShareRows(1000, 0.4576), 458);
  EXPECT_EQ(HostShareRows(2, 0.9), 1);
  EXPECT_EQ(HostShareRows(1, 0.5), 0);
  EXPECT_EQ(HostShareRows(1000, 0), 0);
}

TEST(HostShareTest, ParallelExecutionSplitsEveryOffloadedDecodeGemvAndJoinsBothParts) {
  DriverConfig c = ConfigFor("llama-2-7b");
  c.offload = DriverConfig::Offload::kAllGemv;
  c.offload_host_share = 0.25;
  const std::vector<std::vector<int>> none(c.shape.layers);
  const TokenGraph g = BuildTokenGraph(c, 1, 0, none);
  // The same weight bytes in all, a quarter of them (to rounding) on the host.
  EXPECT_EQ(WeightBytes(g), WeightBytesPerToken(c.shape, WeightType::kInt8));
  int64_t host = 0, offloaded = 0;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const Op& op = g.ops[i];
    if (op.kind != OpKind::kGemv) continue;
    if ((op.flags & kHostShare) != 0) {
      EXPECT_FALSE(Offloaded(c, op));
      host += op.weight_bytes;
      // The host part's dependents also wait for the offloaded part.
      int dependents = 0;
      for (size_t j = i + 1; j < g.ops.size(); ++j) {
        const auto& d = g.deps[j];
        if (std::find(d.begin(), d.end(), i) == d.end()) continue;
        ++dependents;
        EXPECT_NE(std::find(d.begin(), d.end(), i + 1), d.end()) << "op " << j << " waits for host part " << i;
      }
      EXPECT_GT(dependents, 0) << "op " << i;
    } else {
      EXPECT_TRUE(Offloaded(c, op));
      offloaded += op.weight_bytes;
    }
  }
  EXPECT_NEAR(static_cast<double>(host) / static_cast<double>(host + offloaded), 0.25, 1e-3);
  // Prefill runs on the host whole: nothing split.
  for (const Op& op : BuildTokenGraph(c, 0, 0, none).ops) EXPECT_EQ(op.flags & kHostShare, 0);
}

}  // namespace
}  // namespace strata::host
