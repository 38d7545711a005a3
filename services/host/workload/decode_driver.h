// DecodeDriver: the LLM workload. It walks the prefill pass and every
// decoded token through the model's layers as a small graph of ops (norm,
// QKV, rotary, attention over the KV cache, output projection, FFN or
// routed experts, residuals, LM head, sampling), sends each op to the
// executor that holds its weights once its inputs are ready, and keeps the
// critical path's time breakdown.
//
// Ports: "host" (every op by default); "offload" (FFN matrices, when
//   DriverConfig::offload: NVLLM's flash, AiF's SSD).
// Lookahead: it promises the offload port quiet while every offloaded op
//   yet to issue waits on one in flight (PromiseOffloadPort).
// Statistics: per-token times and breakdown, ops issued, bytes requested.
#ifndef STRATA_HOST_WORKLOAD_DECODE_DRIVER_H_
#define STRATA_HOST_WORKLOAD_DECODE_DRIVER_H_

#include <array>
#include <atomic>
#include <vector>

#include "model/model_catalog.h"
#include "strata/sim/component.h"
#include "workload/kv_scheduler.h"
#include "workload/ops.h"

namespace strata::host {

struct DriverConfig {
  ModelShape shape;
  WeightType weight_type = WeightType::kInt8;
  int batch = 1;
  int prompt_tokens = 128;
  int decode_tokens = 32;
  double moe_routing_skew = 0;  // Zipf exponent over experts; 0 = uniform
  int kv_bits = 16;             // KV cache and activations in fp16
  // Which decode GEMVs go to the "offload" port: none, the FFN matrices
  // (NVLLM), or every weight matrix (AiF offloads all decode GEMVs).
  enum class Offload { kNone, kFfn, kAllGemv } offload = Offload::kNone;
  // Start only when the offload unit says it is ready (kOffloadReady on the
  // offload port): AiF places the weights with aif_post first.
  bool wait_for_offload_ready = false;
  // Prefill GEMMs go to the offload port too (SSD offloading: the weights
  // fault in from the SSD whichever pass touches them first).
  bool offload_prefill = false;
  // Parallel host/offload execution (AiF, Fig. 15c): this fraction of each
  // offloaded decode GEMV's output rows is computed on the host (its
  // weights resident in host DRAM) beside the offload unit's share; the
  // op's successors wait for both. 0 = serial execution (one op, offloaded).
  double offload_host_share = 0;
  // NVLLM's KV-cache-aware scheduler (kv_scheduler.h).
  KvSchedulerConfig kv;
};

// Whether `op` goes to the offload port under `config` (the rest go to the host).
bool Offloaded(const DriverConfig& config, const Op& op);

// Output rows of a `rows`-row matrix the host computes for host share
// `share` in [0, 1): round(rows x share), leaving the offload unit at least
// one row. The driver's graph and the offload unit's placement (AiF's
// aif_post) both use it, so they agree on every matrix's split.
int64_t HostShareRows(int64_t rows, double share);

// The width of the activation vector weight matrix `matrix` (Op::matrix)
// multiplies: the hidden size for Q/K/V, the output projection, the router,
// the LM head and an expert's input matrix; the FFN width for an expert's
// output matrix. The token graph sizes every GEMV with it, and in-flash
// executors lay out a matrix's rows with it, so both agree on every matrix.
int64_t GemvInputWidth(const ModelShape& shape, uint16_t matrix);

// One token's op graph: ops in issue order and, for each, the indices of
// the ops it waits for.
struct TokenGraph {
  std::vector<Op> ops;
  std::vector<std::vector<uint32_t>> deps;
};

// Builds token `token`'s graph (0 = prefill). `experts_of_layer` gives the
// routed experts per layer for MoE models (ignored for dense models and
// prefill, which reads every expert). Op ids start at `first_id`.
TokenGraph BuildTokenGraph(const DriverConfig& config, uint32_t token, uint32_t first_id,
                           const std::vector<std::vector<int>>& experts_of_layer);

class DecodeDriver final : public sim::Component {
 public:
  explicit DecodeDriver(DriverConfig config);

  void Init() override;
  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;

  bool finished() const { return finished_; }
  // Tokens done so far (prefill counts as none); safe to read from another
  // thread while the run goes on (progress bars), never read by the model.
  uint32_t tokens_done_live() const { return tokens_done_live_.load(std::memory_order_relaxed); }
  sim::SimTime prefill_end() const { return prefill_end_; }
  sim::SimTime start_time() const { return start_time_; }  // after the offload unit was ready
  // End time of each decoded token (index 0 = first decoded token).
  const std::vector<sim::SimTime>& token_ends() const { return token_ends_; }
  // Sum over decoded tokens of the critical path's time by category.
  const std::array<int64_t, kCategoryCount>& decode_breakdown_ps() const { return decode_breakdown_ps_; }
  // Weight bytes the ops of decoded tokens asked for, in all.
  int64_t decode_weight_bytes() const { return decode_weight_bytes_; }
  const DriverConfig& config() const { return config_; }

 private:
  void StartToken(uint32_t token);
  void Issue(uint32_t index);
  void Complete(const OpDone& done);
  // Lookahead: when every offloaded op not yet issued waits (through its
  // dependencies) on an offloaded op still in flight, no op can leave the
  // offload port before a completion arrives on it; the driver promises
  // so, which lets the offload unit's partition run ahead of the host's.
  void PromiseOffloadPort();
  std::vector<std::vector<int>> RouteExperts();

  const DriverConfig config_;
  sim::PortId host_port_;
  sim::PortId offload_port_ = 0;
  uint32_t next_id_ = 0;
  uint32_t token_ = 0;
  sim::SimTime token_start_;
  TokenGraph graph_;
  std::vector<uint32_t> waiting_on_;  // unfinished deps per op
  std::vector<std::vector<uint32_t>> dependents_;  // per op, the ops that wait for it, in index order
  std::vector<sim::SimTime> issued_at_, finished_at_;
  std::vector<char> issued_, finished_op_;  // per op
  bool offload_issued_ = false;              // since the last PromiseOffloadPort
  std::vector<std::array<int64_t, kCategoryCount>> path_ps_;  // critical-path breakdown up to each op
  uint32_t ops_done_ = 0;
  bool finished_ = false;
  sim::SimTime prefill_end_;
  sim::SimTime start_time_;
  std::vector<sim::SimTime> token_ends_;
  std::array<int64_t, kCategoryCount> decode_breakdown_ps_{};
  int64_t decode_weight_bytes_ = 0;
  uint64_t ops_issued_ = 0;
  uint64_t routing_hash_ = 0;
  std::atomic<uint32_t> tokens_done_live_{0};
};

}  // namespace strata::host

#endif  // STRATA_HOST_WORKLOAD_DECODE_DRIVER_H_
