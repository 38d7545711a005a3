// Model catalog: the transformer shapes strata simulates, from the models'
// published configurations, and the weight arithmetic every system model
// uses (bytes per layer by matrix, bytes read per decoded token, KV cache
// bytes per token).
//
// Sources (one per family; the test checks each shape's parameter count
// against the published count, so a wrong shape fails loudly):
//  - OPT: Zhang et al., "OPT: Open Pre-trained Transformer Language Models",
//    arXiv 2205.01068, Table 1; HF configs facebook/opt-*.
//  - LLaMA-1: Touvron et al., arXiv 2302.13971, Table 2; HF configs.
//  - LLaMA-2: Touvron et al., arXiv 2307.09288, Table 1; HF meta-llama/Llama-2-*.
//  - LLaMA-3: Meta, "The Llama 3 Herd of Models", arXiv 2407.21783, Table 3.
//  - GPT-NeoX-20B: Black et al., arXiv 2204.06745, Table 1.
//  - Falcon-11B / 40B: TII model cards and HF configs (tiiuae/falcon-*).
//  - Mixtral-8x7B: Jiang et al., arXiv 2401.04088, Table 1.
#ifndef STRATA_HOST_MODEL_MODEL_CATALOG_H_
#define STRATA_HOST_MODEL_MODEL_CATALOG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata::host {

enum class FfnKind {
  kFc,      // fc1 (h -> f), activation, fc2 (f -> h): OPT (ReLU), GPT-NeoX and Falcon (GeLU)
  kSwiGlu,  // gate and up (h -> f), SiLU(gate) * up, down (f -> h): LLaMA, Mixtral
};

enum class WeightType { kInt4, kInt8, kFp16 };
absl::StatusOr<WeightType> ParseWeightType(std::string_view name);  // "int4" | "int8" | "fp16"
std::string_view WeightTypeName(WeightType type);
// Bits per weight (4, 8 or 16).
int WeightBits(WeightType type);

struct ModelShape {
  std::string name;
  int layers = 0;
  int64_t hidden = 0;
  int64_t ffn = 0;        // per expert for MoE
  int heads = 0;
  int kv_heads = 0;       // == heads for multi-head attention; fewer for GQA/MQA
  int64_t vocab = 0;
  FfnKind ffn_kind = FfnKind::kSwiGlu;
  // Attention and FFN read the same input and run side by side (GPT-NeoX,
  // Falcon), rather than FFN after attention.
  bool parallel_attention_ffn = false;
  int experts = 1;          // FFN experts per layer (Mixtral: 8)
  int experts_per_token = 1;  // routed experts per token (Mixtral: top-2)
  bool linear_biases = false;   // biases on projections (OPT, GPT-NeoX)
  bool layer_norm_bias = false; // LayerNorm (weight + bias) vs RMSNorm (weight only)
  int norms_per_layer = 2;
  bool tied_embeddings = false;  // LM head shares the token embedding (OPT)
  int64_t learned_positions = 0; // learned position embeddings (OPT: 2048 + 2 offset)

  int64_t head_dim() const { return hidden / heads; }
  int64_t kv_dim() const { return head_dim() * kv_heads; }
};

// Parameter counts by part, in weights (not bytes).
struct ParameterCount {
  int64_t attention = 0;     // Q, K, V, O (+ biases), all layers
  int64_t ffn = 0;           // all experts (+ biases, + router), all layers
  int64_t ffn_active = 0;    // FFN weights one token reads (routed experts + router)
  int64_t norms = 0;
  int64_t embeddings = 0;    // token (+ position) embeddings, + untied LM head
  int64_t total() const { return attention + ffn + norms + embeddings; }
  // FFN share of the transformer layers' weights (what NVLLM puts in flash).
  double ffn_fraction_of_layers() const {
    return static_cast<double>(ffn) / static_cast<double>(attention + ffn + norms);
  }
};

// Weights of one layer by matrix: what a GEMV-per-matrix model iterates.
struct LayerMatrices {
  int64_t q = 0, k = 0, v = 0, o = 0;      // attention projections (weights only)
  int64_t ffn_in = 0;    // per expert: fc1, or gate + up together (2 x h x f)
  int64_t ffn_out = 0;   // per expert: fc2 or down (f x h)
  int64_t router = 0;    // MoE gate (h x experts)
};

// A bound on a shape's parameter count, far above any model (LLaMA-3-405B
// has 4e11) and far below int64's 9.2e18, so every count and byte size
// computed from a valid shape fits in int64 (ValidateShape checks it).
inline constexpr double kMaxParameters = 1e15;

ParameterCount CountParameters(const ModelShape& shape);
LayerMatrices MatricesOf(const ModelShape& shape);

// Bytes of weights one decoded token reads (batch 1): every attention and
// routed-expert FFN weight once, plus the LM head. Norms and biases are
// counted in fp16 regardless of `type` (they are not quantised).
int64_t WeightBytesPerToken(const ModelShape& shape, WeightType type);
// KV cache bytes appended per token, all layers (K and V, fp16 by default).
int64_t KvBytesPerToken(const ModelShape& shape, int kv_bits = 16);

// Checks a (custom) shape: every field positive, heads divide hidden,
// kv_heads divide heads, experts_per_token <= experts. Errors name the field,
// its value and the allowed range.
absl::Status ValidateShape(const ModelShape& shape);

// The built-in catalog, in a fixed order.
const std::vector<ModelShape>& Catalog();
// Looks a model up by name ("llama-2-70b", case-insensitive); NOT_FOUND lists the names.
absl::StatusOr<ModelShape> FindModel(std::string_view name);

}  // namespace strata::host

#endif  // STRATA_HOST_MODEL_MODEL_CATALOG_H_
