#include "workload/decode_driver.h"

#include <gtest/gtest.h>

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
}

}  // namespace
}  // namespace strata::host
