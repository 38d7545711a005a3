#include "model/model_catalog.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace strata::host {

absl::StatusOr<WeightType> ParseWeightType(std::string_view name) {
  if (name == "int4") return WeightType::kInt4;
  if (name == "int8") return WeightType::kInt8;
  if (name == "fp16") return WeightType::kFp16;
  return absl::InvalidArgumentError(
      absl::StrCat("weight type '", absl::string_view(name.data(), name.size()), "'; allowed: int4, int8, fp16"));
}

std::string_view WeightTypeName(WeightType type) {
  switch (type) {
    case WeightType::kInt4: return "int4";
    case WeightType::kInt8: return "int8";
    case WeightType::kFp16: return "fp16";
  }
  return "?";
}

int WeightBits(WeightType type) {
  switch (type) {
    case WeightType::kInt4: return 4;
    case WeightType::kInt8: return 8;
    case WeightType::kFp16: return 16;
  }
  return 0;
}

namespace {

// Per-layer pieces shared by CountParameters and WeightBytesPerToken.
struct LayerParts {
  int64_t attention_weights;
  int64_t attention_biases;
  int64_t ffn_weights;  // one expert
  int64_t ffn_biases;   // one expert
  int64_t router;
  int64_t norms;
  int64_t final_norm;
};

LayerParts PartsOf(const ModelShape& s) {
  const int64_t h = s.hidden, kv = s.kv_dim(), f = s.ffn;
  LayerParts p{};
  p.attention_weights = h * h + 2 * h * kv + h * h;
  p.attention_biases = s.linear_biases ? h + 2 * kv + h : 0;
  p.ffn_weights = (s.ffn_kind == FfnKind::kSwiGlu ? 3 : 2) * h * f;
  p.ffn_biases = s.linear_biases ? (s.ffn_kind == FfnKind::kSwiGlu ? 2 * f : f) + h : 0;
  p.router = s.experts > 1 ? h * s.experts : 0;
  const int64_t norm = s.layer_norm_bias ? 2 * h : h;
  p.norms = s.norms_per_layer * norm;
  p.final_norm = norm;
  return p;
}

}  // namespace

ParameterCount CountParameters(const ModelShape& s) {
  const LayerParts p = PartsOf(s);
  const int64_t layers = s.layers;
  ParameterCount c;
  c.attention = layers * (p.attention_weights + p.attention_biases);
  c.ffn = layers * (s.experts * (p.ffn_weights + p.ffn_biases) + p.router);
  c.ffn_active = layers * (s.experts_per_token * (p.ffn_weights + p.ffn_biases) + p.router);
  c.norms = layers * p.norms + p.final_norm;
  c.embeddings = s.vocab * s.hidden + s.learned_positions * s.hidden + (s.tied_embeddings ? 0 : s.vocab * s.hidden);
  return c;
}

LayerMatrices MatricesOf(const ModelShape& s) {
  LayerMatrices m;
  m.q = s.hidden * s.hidden;
  m.k = m.v = s.hidden * s.kv_dim();
  m.o = s.hidden * s.hidden;
  m.ffn_in = (s.ffn_kind == FfnKind::kSwiGlu ? 2 : 1) * s.hidden * s.ffn;
  m.ffn_out = s.ffn * s.hidden;
  m.router = s.experts > 1 ? s.hidden * s.experts : 0;
  return m;
}

int64_t WeightBytesPerToken(const ModelShape& s, WeightType type) {
  const LayerParts p = PartsOf(s);
  const int64_t layers = s.layers;
  const int bits = WeightBits(type);
  // Quantised matrices: attention, routed experts, router, LM head.
  const int64_t matrix_weights =
      layers * (p.attention_weights + s.experts_per_token * p.ffn_weights + p.router) + s.vocab * s.hidden;
  // Kept in fp16: biases, norms, and the one embedding row (+ position row) looked up.
  const int64_t fp16_weights = layers * (p.attention_biases + s.experts_per_token * p.ffn_biases + p.norms) +
                               p.final_norm + s.hidden * (s.learned_positions > 0 ? 2 : 1);
  return matrix_weights * bits / 8 + fp16_weights * 2;
}

int64_t KvBytesPerToken(const ModelShape& s, int kv_bits) {
  return 2 * static_cast<int64_t>(s.layers) * s.kv_dim() * kv_bits / 8;
}

absl::Status ValidateShape(const ModelShape& s) {
  auto positive = [&](std::string_view field, int64_t v, int64_t max) -> absl::Status {
    if (v < 1 || v > max) {
      return absl::InvalidArgumentError(absl::StrCat("model '", s.name, "': ",
                                                     absl::string_view(field.data(), field.size()), " = ", v,
                                                     "; allowed: 1 to ", max));
    }
    return absl::OkStatus();
  };
  for (absl::Status st : {positive("layers", s.layers, 1000), positive("hidden", s.hidden, 1 << 20),
                          positive("ffn", s.ffn, 1 << 22), positive("heads", s.heads, 4096),
                          positive("kv_heads", s.kv_heads, 4096), positive("vocab", s.vocab, 1 << 24),
                          positive("experts", s.experts, 1024),
                          positive("experts_per_token", s.experts_per_token, s.experts),
                          positive("norms_per_layer", s.norms_per_layer + 1, 4)}) {
    if (!st.ok()) return st;
  }
  if (s.hidden % s.heads != 0) {
    return absl::InvalidArgumentError(absl::StrCat("model '", s.name, "': heads = ", s.heads,
                                                   " does not divide hidden = ", s.hidden));
  }
  if (s.heads % s.kv_heads != 0) {
    return absl::InvalidArgumentError(absl::StrCat("model '", s.name, "': kv_heads = ", s.kv_heads,
                                                   " does not divide heads = ", s.heads));
  }
  if (s.learned_positions < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("model '", s.name, "': learned_positions = ", s.learned_positions, "; allowed: >= 0"));
  }
  // Each field within its range can still multiply past int64 (1,000
  // layers x 1,024 experts x 3 x 2^20 x 2^22 is 1.4e19 weights), and a
  // wrapped count passes every memory check after it. So the count is
  // first estimated in double, where it cannot wrap (an upper bound of
  // CountParameters' terms: every matrix, both embeddings).
  const double h = static_cast<double>(s.hidden);
  const double per_layer = 4 * h * h + s.experts * (3 * h * static_cast<double>(s.ffn) + 2 * h) + h * s.experts;
  const double estimate = s.layers * per_layer + (2 * static_cast<double>(s.vocab) +
                                                  static_cast<double>(s.learned_positions)) * h;
  if (estimate > kMaxParameters) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "model '%s': about %.3g parameters (layers x experts x FFN, attention and embeddings); allowed: at most "
        "%.0e",
        s.name, estimate, kMaxParameters));
  }
  return absl::OkStatus();
}

namespace {

ModelShape Opt(std::string name, int layers, int64_t hidden, int heads) {
  ModelShape s;
  s.name = std::move(name);
  s.layers = layers;
  s.hidden = hidden;
  s.ffn = 4 * hidden;
  s.heads = s.kv_heads = heads;
  s.vocab = 50272;
  s.ffn_kind = FfnKind::kFc;
  s.linear_biases = true;
  s.layer_norm_bias = true;
  s.tied_embeddings = true;
  s.learned_positions = 2048 + 2;  // OPT offsets learned positions by 2
  return s;
}

ModelShape Llama(std::string name, int layers, int64_t hidden, int64_t ffn, int heads, int kv_heads,
                 int64_t vocab) {
  ModelShape s;
  s.name = std::move(name);
  s.layers = layers;
  s.hidden = hidden;
  s.ffn = ffn;
  s.heads = heads;
  s.kv_heads = kv_heads;
  s.vocab = vocab;
  s.ffn_kind = FfnKind::kSwiGlu;
  return s;
}

ModelShape ParallelFc(std::string name, int layers, int64_t hidden, int heads, int kv_heads, int64_t vocab,
                      bool biases, int norms_per_layer) {
  ModelShape s;
  s.name = std::move(name);
  s.layers = layers;
  s.hidden = hidden;
  s.ffn = 4 * hidden;
  s.heads = heads;
  s.kv_heads = kv_heads;
  s.vocab = vocab;
  s.ffn_kind = FfnKind::kFc;
  s.parallel_attention_ffn = true;
  s.linear_biases = biases;
  s.layer_norm_bias = true;
  s.norms_per_layer = norms_per_layer;
  return s;
}

std::vector<ModelShape> BuildCatalog() {
  std::vector<ModelShape> c;
  c.push_back(Opt("opt-6.7b", 32, 4096, 32));
  c.push_back(Opt("opt-13b", 40, 5120, 40));
  c.push_back(Opt("opt-30b", 48, 7168, 56));
  c.push_back(Opt("opt-66b", 64, 9216, 72));
  c.push_back(Llama("llama-7b", 32, 4096, 11008, 32, 32, 32000));
  c.push_back(Llama("llama-13b", 40, 5120, 13824, 40, 40, 32000));
  c.push_back(Llama("llama-33b", 60, 6656, 17920, 52, 52, 32000));
  c.push_back(Llama("llama-65b", 80, 8192, 22016, 64, 64, 32000));
  c.push_back(Llama("llama-2-7b", 32, 4096, 11008, 32, 32, 32000));
  c.push_back(Llama("llama-2-13b", 40, 5120, 13824, 40, 40, 32000));
  c.push_back(Llama("llama-2-70b", 80, 8192, 28672, 64, 8, 32000));
  c.push_back(Llama("llama-3-8b", 32, 4096, 14336, 32, 8, 128256));
  c.push_back(Llama("llama-3-70b", 80, 8192, 28672, 64, 8, 128256));
  // GPT-NeoX-20B: biases, two LayerNorms per layer even in parallel form.
  c.push_back(ParallelFc("gpt-neox-20b", 44, 6144, 64, 64, 50432, /*biases=*/true, /*norms_per_layer=*/2));
  // Falcon2-11B: one LayerNorm feeds both branches; Falcon-40B ("new decoder
  // architecture") has ln_attn and ln_mlp. Neither has projection biases.
  c.push_back(ParallelFc("falcon-11b", 60, 4096, 32, 8, 65024, /*biases=*/false, /*norms_per_layer=*/1));
  c.push_back(ParallelFc("falcon-40b", 60, 8192, 128, 8, 65024, /*biases=*/false, /*norms_per_layer=*/2));
  ModelShape mixtral = Llama("mixtral-8x7b", 32, 4096, 14336, 32, 8, 32000);
  mixtral.experts = 8;
  mixtral.experts_per_token = 2;
  c.push_back(mixtral);
  return c;
}

}  // namespace

const std::vector<ModelShape>& Catalog() {
  static const std::vector<ModelShape>* const catalog = new std::vector<ModelShape>(BuildCatalog());
  return *catalog;
}

absl::StatusOr<ModelShape> FindModel(std::string_view name) {
  const std::string wanted = absl::AsciiStrToLower(absl::string_view(name.data(), name.size()));
  std::vector<std::string> names;
  for (const ModelShape& s : Catalog()) {
    if (s.name == wanted) return s;
    names.push_back(s.name);
  }
  return absl::NotFoundError(absl::StrCat("model '", wanted, "' is not in the catalog; known: ",
                                          absl::StrJoin(names, ", ")));
}

}  // namespace strata::host
