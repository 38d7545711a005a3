#include "model/model_catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace strata::host {
namespace {

using ::testing::HasSubstr;

struct Published {
  const char* model;
  double parameters;  // published total
  double tolerance;   // relative: 0 (exact to the weight) for checkpoint totals, 1% where rounded
  const char* source;
};

// Exact counts are the parameter totals of the released checkpoints (sum of
// tensor sizes); rounded ones come from papers and model cards.
constexpr Published kPublished[] = {
    {"opt-6.7b", 6'658'473'984, 0, "facebook/opt-6.7b checkpoint"},
    {"opt-13b", 12'853'473'280, 0, "facebook/opt-13b checkpoint"},
    {"opt-30b", 29.97e9, 0.01, "OPT paper Table 1 (30B), checkpoint 29.97B"},
    {"opt-66b", 65.7e9, 0.01, "OPT paper Table 1 (66B), checkpoint 65.7B"},
    {"llama-7b", 6'738'415'616, 0, "LLaMA checkpoint (6.7B in the paper)"},
    {"llama-13b", 13'015'864'320, 0, "LLaMA checkpoint (13.0B)"},
    {"llama-33b", 32'528'943'616, 0, "LLaMA checkpoint (32.5B)"},
    {"llama-65b", 65'285'660'672, 0, "LLaMA checkpoint (65.2B)"},
    {"llama-2-7b", 6'738'415'616, 0, "Llama-2-7b checkpoint"},
    {"llama-2-13b", 13'015'864'320, 0, "Llama-2-13b checkpoint"},
    {"llama-2-70b", 68'976'648'192, 0, "Llama-2-70b checkpoint"},
    {"llama-3-8b", 8'030'261'248, 0, "Meta-Llama-3-8B checkpoint"},
    {"llama-3-70b", 70'553'706'496, 0, "Meta-Llama-3-70B checkpoint"},
    {"gpt-neox-20b", 20'554'567'680, 0, "GPT-NeoX-20B checkpoint (paper: 20.6B)"},
    {"falcon-11b", 11.1e9, 0.01, "Falcon2-11B model card (11.1B)"},
    {"falcon-40b", 41.8e9, 0.01, "Falcon-40B model card (41.8B)"},
    {"mixtral-8x7b", 46'702'792'704, 0, "Mixtral-8x7B checkpoint (paper: 47B)"},
};

TEST(ModelCatalogTest, EveryShapeMatchesItsPublishedParameterCount) {
  ASSERT_EQ(Catalog().size(), std::size(kPublished));
  for (const Published& p : kPublished) {
    auto shape = FindModel(p.model);
    ASSERT_TRUE(shape.ok()) << shape.status();
    EXPECT_TRUE(ValidateShape(*shape).ok()) << p.model;
    const double ours = static_cast<double>(CountParameters(*shape).total());
    EXPECT_LE(std::abs(ours / p.parameters - 1), p.tolerance)
        << p.model << ": shape gives " << ours << ", published " << p.parameters << " (" << p.source << ")";
  }
}

// The shape errors REFERENCE.md warns some simulators ship: each must miss
// the exact checkpoint count (a wrong vocab moves LLaMA-2-70B by only
// 0.018%, so nothing looser than exact would catch it).
TEST(ModelCatalogTest, KnownWrongShapesFailTheCountCheck) {
  ModelShape opt13 = *FindModel("opt-13b");
  opt13.hidden = 5140;
  opt13.ffn = 4 * 5140;
  ModelShape llama70_vocab = *FindModel("llama-2-70b");
  llama70_vocab.vocab = 32768;
  ModelShape llama70_heads = *FindModel("llama-2-70b");
  llama70_heads.heads = 32;  // head_dim 256 would double K and V
  const struct {
    const ModelShape& shape;
    double published;
  } wrong[] = {{opt13, 12'853'473'280}, {llama70_vocab, 68'976'648'192}, {llama70_heads, 68'976'648'192}};
  for (const auto& w : wrong) {
    const double ours = static_cast<double>(CountParameters(w.shape).total());
    EXPECT_NE(ours, w.published) << w.shape.name;  // the checkpoint check is exact
  }
}

TEST(ModelCatalogTest, FfnShareMatchesTheShapesNotTheNinetyPercentClaim) {
  // REFERENCE.md: ~2/3 of layer weights for MHA OPT/LLaMA, ~81% for GQA.
  for (const char* mha : {"opt-30b", "llama-33b", "llama-2-13b"}) {
    EXPECT_NEAR(CountParameters(*FindModel(mha)).ffn_fraction_of_layers(), 2.0 / 3.0, 0.01) << mha;
  }
  for (const char* gqa : {"llama-2-70b", "llama-3-70b", "llama-3-8b"}) {
    const double share = CountParameters(*FindModel(gqa)).ffn_fraction_of_layers();
    EXPECT_GT(share, 0.79) << gqa;
    EXPECT_LT(share, 0.83) << gqa;
  }
}

TEST(ModelCatalogTest, MatricesFollowTheReferenceFormulas) {
  const ModelShape s = *FindModel("llama-2-70b");
  const LayerMatrices m = MatricesOf(s);
  const int64_t h = 8192, f = 28672, kv = h * 8 / 64;  // h * kv_heads / heads
  EXPECT_EQ(m.q + m.k + m.v + m.o, h * h + 2 * h * kv + h * h);
  EXPECT_EQ(m.ffn_in + m.ffn_out, 3 * h * f);
  const LayerMatrices opt = MatricesOf(*FindModel("opt-30b"));
  EXPECT_EQ(opt.ffn_in + opt.ffn_out, 2 * int64_t{7168} * 28672);
}

TEST(ModelCatalogTest, BytesPerTokenCountEveryMatrixOnceAndOnlyRoutedExperts) {
  // LLaMA-2-70B in int8: all matrices once + LM head, norms in fp16 + one embedding row.
  const ModelShape s = *FindModel("llama-2-70b");
  const int64_t h = 8192, f = 28672, kv = 1024, L = 80, vocab = 32000;
  const int64_t matrices = L * (2 * h * h + 2 * h * kv + 3 * h * f) + vocab * h;
  const int64_t fp16 = L * 2 * h + h + h;  // 2 RMSNorms per layer, final norm, embedding row
  EXPECT_EQ(WeightBytesPerToken(s, WeightType::kInt8), matrices + 2 * fp16);
  EXPECT_EQ(WeightBytesPerToken(s, WeightType::kInt4), matrices / 2 + 2 * fp16);
  // Mixtral reads 2 of its 8 experts per token.
  const ModelShape mx = *FindModel("mixtral-8x7b");
  const ParameterCount c = CountParameters(mx);
  EXPECT_EQ(c.ffn_active - 32 * 4096 * 8, (c.ffn - 32 * 4096 * 8) / 4);
  EXPECT_NEAR(static_cast<double>(c.total() - c.ffn + c.ffn_active), 12.9e9, 0.1e9);  // paper: 12.9B active
}

TEST(ModelCatalogTest, KvCacheGrowsByTwoVectorsPerLayerPerToken) {
  // LLaMA-2-70B, GQA with 8 KV heads of 128: 2 * 80 * 1024 * 2 B = 327,680 B per token in fp16.
  EXPECT_EQ(KvBytesPerToken(*FindModel("llama-2-70b")), 327'680);
  EXPECT_EQ(KvBytesPerToken(*FindModel("opt-30b"), 8), 2 * 48 * 7168);
}

TEST(ModelCatalogTest, BadShapesAndNamesGiveClearErrors) {
  ModelShape s = *FindModel("llama-7b");
  s.kv_heads = 3;
  EXPECT_THAT(ValidateShape(s).message(), HasSubstr("kv_heads = 3 does not divide heads = 32"));
  s = *FindModel("mixtral-8x7b");
  s.experts_per_token = 9;
  EXPECT_THAT(ValidateShape(s).message(), HasSubstr("experts_per_token = 9; allowed: 1 to 8"));
  s.experts_per_token = 2;
  s.layers = 0;
  EXPECT_THAT(ValidateShape(s).message(), HasSubstr("layers = 0; allowed: 1 to 1000"));
  auto missing = FindModel("gpt-5");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("llama-2-70b"));
  EXPECT_TRUE(FindModel("LLaMA-2-70B").ok());
  EXPECT_THAT(ParseWeightType("int3").status().message(), HasSubstr("allowed: int4, int8, fp16"));
}

}  // namespace
}  // namespace strata::host
