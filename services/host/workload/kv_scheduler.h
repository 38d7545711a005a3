// KvScheduler: NVLLM's KV-cache-aware scheduler on the host side (NVLLM,
// arXiv 2604.25699: "attention weights are stored in DRAM, with intelligent
// prefetching"; REFERENCE.md: "KV-cache-aware scheduler with prefetch").
//
// It decides, per layer of a decoded token, how many bytes of the layer's
// KV cache the attention engine loads from DRAM into its on-chip buffer
// ahead of the layer's attention. Under kPrefetchNextLayer the load of layer
// l+1 starts when layer l's FFN starts (the FFN runs in flash, so the DRAM
// and the attention engine are otherwise idle) and, in parallel-attention
// models, once layer l's attention branch is done with the engine; layer
// l+1's attention then pays its compute plus the KV bytes that did not fit
// the buffer. The load
// is an op of its own (OpKind::kKvLoad) on the host executor, so it takes
// DRAM time there like any other transfer; only its overlap with the flash
// is gained.
//
// What is not prefetched: layer 0 (no FFN runs before it in the token; the
// previous token's LM head could cover it, not modelled), the K and V row
// the token itself produces (computed by the layer's QKV, already on chip),
// and prefill (it writes the cache rather than reading it).
//
// Parameters: policy (kNone = attention reads its KV cache itself, as
// before this scheduler existed), buffer_bytes (on-chip KV buffer; 0 is the
// same as kNone: the DecodeDriver then builds the same graph op for op).
#ifndef STRATA_HOST_WORKLOAD_KV_SCHEDULER_H_
#define STRATA_HOST_WORKLOAD_KV_SCHEDULER_H_

#include <algorithm>
#include <cstdint>

namespace strata::host {

enum class KvPolicy : uint8_t {
  kNone,               // attention reads the whole KV cache from DRAM when it runs
  kPrefetchNextLayer,  // layer l+1's KV cache is loaded while layer l's FFN runs
};

struct KvSchedulerConfig {
  KvPolicy policy = KvPolicy::kNone;
  int64_t buffer_bytes = 0;  // the attention engine's on-chip KV buffer
};

class KvScheduler {
 public:
  explicit KvScheduler(KvSchedulerConfig config) : config_(config) {}

  // Bytes of `layer`'s KV cache to load ahead of its attention in decoded
  // token `token` (0 = prefill), of the `cached_bytes` that were in DRAM
  // before the token began. 0: no load op; attention reads everything.
  int64_t PrefetchBytes(uint32_t token, int layer, int64_t cached_bytes) const {
    if (config_.policy != KvPolicy::kPrefetchNextLayer || token == 0 || layer == 0) return 0;
    return std::clamp<int64_t>(config_.buffer_bytes, 0, cached_bytes);
  }

  const KvSchedulerConfig& config() const { return config_; }

 private:
  KvSchedulerConfig config_;
};

}  // namespace strata::host

#endif  // STRATA_HOST_WORKLOAD_KV_SCHEDULER_H_
