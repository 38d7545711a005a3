#include "services/systems/core/model_spec.h"

#include "absl/strings/str_cat.h"

namespace strata::systems {

absl::StatusOr<host::ModelShape> ShapeOf(const v1::ModelSpec& m) {
  if (m.source_case() == v1::ModelSpec::kCatalogName) {
    auto shape = host::FindModel(m.catalog_name());
    if (!shape.ok()) return absl::InvalidArgumentError(absl::StrCat("model.catalog_name: ", shape.status().message()));
    return *shape;
  }
  if (m.source_case() != v1::ModelSpec::kCustom) {
    return absl::InvalidArgumentError("model: set model.catalog_name (e.g. \"llama-2-70b\") or model.custom");
  }
  const v1::CustomShape& c = m.custom();
  host::ModelShape s;
  s.name = c.name().empty() ? "custom" : c.name();
  s.layers = c.layers();
  s.hidden = c.hidden();
  s.ffn = c.ffn();
  s.heads = c.heads();
  s.kv_heads = c.kv_heads() == 0 ? c.heads() : c.kv_heads();
  s.vocab = c.vocab();
  s.ffn_kind = c.ffn_kind() == v1::FC ? host::FfnKind::kFc : host::FfnKind::kSwiGlu;
  s.parallel_attention_ffn = c.parallel_attention_ffn();
  s.experts = c.experts() == 0 ? 1 : c.experts();
  s.experts_per_token = c.experts_per_token() == 0 ? 1 : c.experts_per_token();
  s.linear_biases = c.linear_biases();
  s.layer_norm_bias = c.layer_norm_bias();
  s.norms_per_layer = c.norms_per_layer() == 0 ? 2 : c.norms_per_layer();
  s.tied_embeddings = c.tied_embeddings();
  s.learned_positions = c.learned_positions();
  if (absl::Status st = host::ValidateShape(s); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("model.custom: ", st.message()));
  }
  return s;
}

host::WeightType WeightTypeOf(v1::WeightType t) {
  switch (t) {
    case v1::INT4: return host::WeightType::kInt4;
    case v1::FP16: return host::WeightType::kFp16;
    default: return host::WeightType::kInt8;
  }
}

int64_t ModelWeightBytes(const host::ModelShape& s, host::WeightType t) {
  return host::CountParameters(s).total() * host::WeightBits(t) / 8;
}

int64_t KvCacheBytes(const host::ModelShape& s, const v1::WorkloadSpec& w) {
  return host::KvBytesPerToken(s) * (w.prompt_tokens() + w.decode_tokens()) * w.batch_size();
}

}  // namespace strata::systems
