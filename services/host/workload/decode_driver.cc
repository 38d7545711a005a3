#include "workload/decode_driver.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace strata::host {

std::string_view CategoryName(Category c) {
  switch (c) {
    case Category::kFlashArray: return "flash_array";
    case Category::kEcc: return "ecc";
    case Category::kFlashBus: return "flash_bus";
    case Category::kPeCompute: return "pe_compute";
    case Category::kHostAttention: return "host_attention";
    case Category::kHostGemv: return "host_gemv";
    case Category::kHostOther: return "host_other";
    case Category::kPcieNvme: return "pcie_nvme";
    case Category::kSynchronization: return "synchronization";
    case Category::kCount: break;
  }
  return "?";
}

bool Offloaded(const DriverConfig& c, const Op& op) {
  if (op.kind != OpKind::kGemv || (op.flags & kHostShare) != 0) return false;
  if (op.token == 0 && !c.offload_prefill) return false;  // prefill stays on the host
  switch (c.offload) {
    case DriverConfig::Offload::kNone: return false;
    case DriverConfig::Offload::kFfn: return (op.flags & kFfn) != 0;
    case DriverConfig::Offload::kAllGemv: return true;
  }
  return false;
}

int64_t HostShareRows(int64_t rows, double share) {
  if (!(share > 0) || rows <= 1) return 0;
  return std::clamp<int64_t>(std::llround(static_cast<double>(rows) * share), 0, rows - 1);
}

int64_t GemvInputWidth(const ModelShape& shape, uint16_t matrix) {
  if (matrix >= kMatrixExpertBase && (matrix - kMatrixExpertBase) % 2 == 1) return shape.ffn;
  return shape.hidden;
}

namespace {

// Accumulates one token's graph.
class GraphBuilder {
 public:
  GraphBuilder(const DriverConfig& c, uint32_t token, uint32_t first_id)
      : c_(c), token_(token), next_id_(first_id) {
    const bool prefill = token == 0;
    rows_ = static_cast<int64_t>(c.batch) * (prefill ? c.prompt_tokens : 1);
    wbits_ = WeightBits(c.weight_type);
    act_bytes_ = c.kv_bits / 8;
  }

  uint32_t Add(OpKind kind, uint16_t layer, int64_t weight_bytes, int64_t flops, int64_t memory_bytes,
               std::vector<uint32_t> deps, uint8_t flags = 0, uint16_t matrix = kMatrixNone) {
    // A dependency on a split GEMV is a dependency on both its parts.
    for (size_t k = 0, n = deps.size(); k < n; ++k) {
      if (deps[k] < partner_.size() && partner_[deps[k]] != kNoPartner) deps.push_back(partner_[deps[k]]);
    }
    Op op;
    op.matrix = matrix;
    op.id = next_id_++;
    op.token = token_;
    op.layer = layer;
    op.kind = kind;
    op.flags = flags;
    op.weight_bytes = weight_bytes;
    op.flops = flops;
    op.memory_bytes = memory_bytes;
    graph_.ops.push_back(op);
    graph_.deps.push_back(std::move(deps));
    return static_cast<uint32_t>(graph_.ops.size() - 1);
  }
  // A projection of an `out_rows` x GemvInputWidth(matrix) weight matrix
  // (+ one fp16 bias per output row when `biased` and the model has biases)
  // applied to `row_share` of the rows.
  uint32_t Gemv(uint16_t layer, uint16_t matrix, int64_t out_rows, bool biased, std::vector<uint32_t> deps,
                uint8_t flags = 0, double row_share = 1.0) {
    const auto rows = static_cast<int64_t>(std::llround(static_cast<double>(rows_) * row_share));
    return GemvRows(layer, matrix, out_rows, biased, rows, std::move(deps), flags);
  }
  // The same over `act_rows` activation rows. An offloaded decode GEMV under
  // parallel execution becomes two ops, the host's rows and the offload
  // unit's; the returned index stands for both in later dependencies.
  uint32_t GemvRows(uint16_t layer, uint16_t matrix, int64_t out_rows, bool biased, int64_t act_rows,
                    const std::vector<uint32_t>& deps, uint8_t flags) {
    const int64_t in_cols = GemvInputWidth(c_.shape, matrix);
    auto part = [&](int64_t r, uint8_t part_flags) {
      const int64_t bias_bytes = biased && c_.shape.linear_biases ? r * 2 : 0;
      return Add(OpKind::kGemv, layer, r * in_cols * wbits_ / 8 + bias_bytes, 2 * r * in_cols * act_rows, 0, deps,
                 part_flags, matrix);
    };
    Op probe;
    probe.token = token_;
    probe.kind = OpKind::kGemv;
    probe.flags = flags;
    const int64_t host_rows = Offloaded(c_, probe) ? HostShareRows(out_rows, c_.offload_host_share) : 0;
    if (host_rows == 0) return part(out_rows, flags);
    const uint32_t host = part(host_rows, static_cast<uint8_t>(flags | kHostShare));
    const uint32_t rest = part(out_rows - host_rows, flags);
    partner_.resize(rest + 1, kNoPartner);
    partner_[rest] = host;
    return rest;
  }
  // An element-wise op over `width` values per row (reads and writes them).
  uint32_t Elementwise(uint16_t layer, int64_t width, int64_t weight_values, std::vector<uint32_t> deps,
                       uint8_t flags = 0, int flops_per_value = 4) {
    return Add(OpKind::kElementwise, layer, weight_values * 2, flops_per_value * width * rows_,
               2 * width * rows_ * act_bytes_, std::move(deps), flags);
  }
  int64_t NormValues() const { return c_.shape.layer_norm_bias ? 2 * c_.shape.hidden : c_.shape.hidden; }

  TokenGraph Take() { return std::move(graph_); }
  int64_t rows() const { return rows_; }
  int act_bytes() const { return act_bytes_; }
  uint32_t token() const { return token_; }

 private:
  const DriverConfig& c_;
  uint32_t token_;
  uint32_t next_id_;
  int64_t rows_;
  int wbits_;
  int act_bytes_;
  TokenGraph graph_;
  static constexpr uint32_t kNoPartner = 0xFFFFFFFF;
  std::vector<uint32_t> partner_;  // by op index: the host part of a split GEMV
};

}  // namespace

TokenGraph BuildTokenGraph(const DriverConfig& c, uint32_t token, uint32_t first_id,
                           const std::vector<std::vector<int>>& experts_of_layer) {
  const ModelShape& s = c.shape;
  const int64_t h = s.hidden, kv = s.kv_dim(), f = s.ffn;
  const bool prefill = token == 0;
  GraphBuilder g(c, token, first_id);
  const KvScheduler kv_scheduler(c.kv);
  // The ops after which the previous layer's FFN started and its attention
  // branch ended: its KV load waits for both, so that it takes the
  // attention engine only when the engine is done with the layer before
  // (in parallel-attention models the FFN starts beside attention).
  std::vector<uint32_t> prev_layer_busy;
  const bool rotary = s.learned_positions == 0;
  // Embedding lookup: one row per input row (+ a position row for OPT).
  uint32_t prev = g.Elementwise(kLmHeadLayer, h, h * (s.learned_positions > 0 ? 2 : 1), {}, 0, 1);

  for (int l = 0; l < s.layers; ++l) {
    const auto layer = static_cast<uint16_t>(l);
    const uint32_t norm_attn = g.Elementwise(layer, h, g.NormValues(), {prev});
    // Attention branch.
    uint32_t a = g.Gemv(layer, kMatrixQkv, h + 2 * kv, true, {norm_attn});
    if (rotary) a = g.Elementwise(layer, h + kv, 0, {a});
    // KV cache: decode reads the whole context (prompt + tokens so far, plus
    // this one) and appends one K and V row; prefill writes the prompt's rows
    // and computes causal scores over them.
    const int64_t context = prefill ? c.prompt_tokens : c.prompt_tokens + token;
    const int64_t kv_row = 2 * kv * g.act_bytes();
    int64_t attn_flops, attn_bytes;
    if (prefill) {
      attn_flops = 2 * h * context * context * c.batch;  // 4*h*P*P/2, causal
      attn_bytes = 2 * context * kv_row * c.batch;      // write, then read once
    } else {
      attn_flops = 4 * h * context * c.batch;
      attn_bytes = (context + 1) * kv_row * c.batch;    // read context, write one row
    }
    // The KV-cache-aware scheduler may have loaded part of the cache rows
    // that existed before this token while the previous layer's FFN ran.
    const int64_t prefetch = kv_scheduler.PrefetchBytes(token, l, prefill ? 0 : (context - 1) * kv_row * c.batch);
    std::vector<uint32_t> attn_deps = {a};
    if (prefetch > 0) attn_deps.push_back(g.Add(OpKind::kKvLoad, layer, 0, 0, prefetch, prev_layer_busy));
    a = g.Add(OpKind::kAttention, layer, 0, attn_flops, attn_bytes - prefetch, std::move(attn_deps));
    a = g.Gemv(layer, kMatrixOut, h, true, {a});  // output projection
    // FFN branch: after attention (serial) or beside it (parallel).
    uint32_t ffn_start;
    uint32_t residual_attn = a;
    if (s.parallel_attention_ffn) {
      ffn_start = s.norms_per_layer >= 2 ? g.Elementwise(layer, h, g.NormValues(), {prev}) : norm_attn;
    } else {
      residual_attn = g.Elementwise(layer, h, 0, {a}, 0, 1);
      ffn_start = s.norms_per_layer >= 2 ? g.Elementwise(layer, h, g.NormValues(), {residual_attn})
                                         : residual_attn;
    }
    prev_layer_busy = {ffn_start, a};
    const int64_t in_rows = (s.ffn_kind == FfnKind::kSwiGlu ? 2 : 1) * f;
    std::vector<uint32_t> ffn_ends;
    auto expert_chain = [&](uint32_t start, int expert, double row_share) {
      const auto in = static_cast<uint16_t>(kMatrixExpertBase + 2 * expert);
      uint32_t x = g.Gemv(layer, in, in_rows, true, {start}, kFfn, row_share);
      x = g.Elementwise(layer, f, 0, {x});  // activation (x gate for SwiGLU)
      ffn_ends.push_back(g.Gemv(layer, static_cast<uint16_t>(in + 1), h, true, {x}, kFfn, row_share));
    };
    if (s.experts > 1) {
      const uint32_t router = g.Gemv(layer, kMatrixRouter, s.experts, false, {ffn_start});
      if (prefill) {
        // Every expert serves some prompt rows: each is read once and sees
        // experts_per_token / experts of the rows on average.
        const double share = static_cast<double>(s.experts_per_token) / s.experts;
        for (int e = 0; e < s.experts; ++e) expert_chain(router, e, share);
      } else {
        for (int e : experts_of_layer[l]) expert_chain(router, e, 1.0);
      }
    } else {
      expert_chain(ffn_start, 0, 1.0);
    }
    std::vector<uint32_t> join = ffn_ends;
    join.push_back(residual_attn);
    prev = g.Elementwise(layer, h, 0, std::move(join), kLastInLayer, 1);  // residual
  }
  // Final norm, LM head, sampling over the vocabulary.
  prev = g.Elementwise(kLmHeadLayer, h, g.NormValues(), {prev});
  // The LM head projects only the last prompt row in prefill.
  const uint32_t head = g.GemvRows(kLmHeadLayer, kMatrixLmHead, s.vocab, false, c.batch, {prev}, 0);
  g.Add(OpKind::kElementwise, kLmHeadLayer, 0, 5 * s.vocab * c.batch, 2 * s.vocab * c.batch * g.act_bytes(),
        {head}, kLastInLayer);
  return g.Take();
}

DecodeDriver::DecodeDriver(DriverConfig config) : Component("driver"), config_(std::move(config)) {
  host_port_ = DeclarePort("host");
  if (config_.offload != DriverConfig::Offload::kNone) offload_port_ = DeclarePort("offload");
}

void DecodeDriver::Init() {
  if (!config_.wait_for_offload_ready) StartToken(0);
}

std::vector<std::vector<int>> DecodeDriver::RouteExperts() {
  const ModelShape& s = config_.shape;
  std::vector<std::vector<int>> routed(s.layers);
  if (s.experts <= 1) return routed;
  // Zipf(skew) popularity over experts; draws without replacement.
  std::vector<double> weight(s.experts);
  for (int e = 0; e < s.experts; ++e) weight[e] = 1.0 / std::pow(e + 1.0, config_.moe_routing_skew);
  sim::RandomStream& rng = ctx().random();
  for (int l = 0; l < s.layers; ++l) {
    std::vector<double> w = weight;
    for (int k = 0; k < s.experts_per_token; ++k) {
      double total = 0;
      for (double x : w) total += x;
      double u = rng.Uniform01() * total;
      int chosen = 0;
      while (chosen < s.experts - 1 && (u -= w[chosen]) >= 0) ++chosen;
      if (w[chosen] == 0) {  // float edge: take the last still available
        for (chosen = s.experts - 1; w[chosen] == 0; --chosen) {}
      }
      w[chosen] = 0;
      routed[l].push_back(chosen);
      routing_hash_ = sim::Mix64(routing_hash_ ^ static_cast<uint64_t>(l * 64 + chosen));
    }
  }
  return routed;
}

void DecodeDriver::StartToken(uint32_t token) {
  token_ = token;
  token_start_ = ctx().Now();
  graph_ = BuildTokenGraph(config_, token, next_id_, token == 0 ? std::vector<std::vector<int>>(config_.shape.layers)
                                                                 : RouteExperts());
  next_id_ += static_cast<uint32_t>(graph_.ops.size());
  const size_t n = graph_.ops.size();
  waiting_on_.assign(n, 0);
  issued_at_.assign(n, sim::SimTime());
  finished_at_.assign(n, sim::SimTime());
  issued_.assign(n, 0);
  finished_op_.assign(n, 0);
  path_ps_.assign(n, {});
  ops_done_ = 0;
  dependents_.assign(n, {});
  for (size_t i = 0; i < n; ++i) {
    waiting_on_[i] = static_cast<uint32_t>(graph_.deps[i].size());
    for (uint32_t d : graph_.deps[i]) dependents_[d].push_back(static_cast<uint32_t>(i));
  }
  if (token > 0) {
    for (const Op& op : graph_.ops) decode_weight_bytes_ += op.weight_bytes;
  }
  for (size_t i = 0; i < n; ++i) {
    if (waiting_on_[i] == 0) Issue(static_cast<uint32_t>(i));
  }
  PromiseOffloadPort();
}

void DecodeDriver::PromiseOffloadPort() {
  offload_issued_ = false;
  if (config_.offload == DriverConfig::Offload::kNone) return;
  const size_t n = graph_.ops.size();
  std::vector<char> downstream(n, 0);  // waits, directly or not, on an offloaded op in flight
  std::vector<uint32_t> stack;
  for (size_t i = 0; i < n; ++i) {
    if (issued_[i] && !finished_op_[i] && Offloaded(config_, graph_.ops[i])) stack.push_back(static_cast<uint32_t>(i));
  }
  if (stack.empty()) return;
  while (!stack.empty()) {
    const uint32_t i = stack.back();
    stack.pop_back();
    for (uint32_t j : dependents_[i]) {
      if (!downstream[j]) {
        downstream[j] = 1;
        stack.push_back(j);
      }
    }
  }
  for (size_t j = 0; j < n; ++j) {
    if (!issued_[j] && Offloaded(config_, graph_.ops[j]) && !downstream[j]) return;
  }
  // The token's last op closes it; the next token starts only after every
  // op, this one included, has completed: nothing new before a completion.
  ctx().PromiseNoOutputBefore(offload_port_, sim::SimTime::Infinite(), offload_port_);
}

void DecodeDriver::Issue(uint32_t index) {
  const Op& op = graph_.ops[index];
  issued_at_[index] = ctx().Now();
  issued_[index] = 1;
  offload_issued_ |= Offloaded(config_, op);
  // Decode FFN matrices go to the offload unit; prefill stays on the host
  // (AiF runs prefill on the host; NVLLM's prefill path is not public).
  ctx().Send(Offloaded(config_, op) ? offload_port_ : host_port_, kOpRequest, op);
  ++ops_issued_;
}

void DecodeDriver::Handle(const sim::Event& event) {
  if (event.type == kOffloadReady && config_.wait_for_offload_ready && next_id_ == 0) {
    start_time_ = ctx().Now();
    StartToken(0);
    return;
  }
  if (event.type != kOpComplete) {
    ctx().Fail(absl::InternalError(absl::StrCat("driver got unexpected event type ", event.type)));
    return;
  }
  Complete(event.PayloadAs<OpDone>());
}

void DecodeDriver::Complete(const OpDone& done) {
  const uint32_t first_id = graph_.ops.front().id;
  if (done.id < first_id || done.id - first_id >= graph_.ops.size()) {
    ctx().Fail(absl::InternalError(absl::StrCat("driver got completion of unknown op ", done.id)));
    return;
  }
  const uint32_t i = done.id - first_id;
  const sim::SimTime now = ctx().Now();
  finished_at_[i] = now;
  finished_op_[i] = 1;
  // Critical path: continue from the dependency that finished last.
  sim::SimTime ready = token_start_;
  int critical = -1;
  for (uint32_t d : graph_.deps[i]) {
    if (critical < 0 || finished_at_[d] > ready) {
      ready = finished_at_[d];
      critical = static_cast<int>(d);
    }
  }
  auto& path = path_ps_[i];
  if (critical >= 0) path = path_ps_[critical];
  const auto sync = static_cast<int>(Category::kSynchronization);
  path[sync] += (issued_at_[i] - ready).ps();
  for (uint32_t p = 0; p < done.parts; ++p) path[static_cast<int>(done.category(p))] += done.time(p).ps();
  const sim::SimTime unaccounted = (now - issued_at_[i]) - done.total();
  if (unaccounted < sim::SimTime::Zero()) {
    ctx().Fail(absl::InternalError(absl::StrCat("op ", done.id, " reported ", done.total().ToString(),
                                                " of work but took ", (now - issued_at_[i]).ToString())));
    return;
  }
  path[sync] += unaccounted.ps();  // link latencies between driver and executor

  // Release the ops that waited for this one (in index order: deterministic).
  for (uint32_t j : dependents_[i]) {
    if (--waiting_on_[j] == 0) Issue(j);
  }
  if (++ops_done_ < graph_.ops.size()) {
    // Only an offload completion (the promise's lapse) or an offloaded
    // op's issue changes what the promise can say.
    if (Offloaded(config_, graph_.ops[i]) || offload_issued_) PromiseOffloadPort();
    return;
  }
  // Token complete: its last op closes every path.
  const auto& total = path_ps_[graph_.ops.size() - 1];
  if (token_ == 0) {
    prefill_end_ = now;
  } else {
    token_ends_.push_back(now);
    tokens_done_live_.store(static_cast<uint32_t>(token_ends_.size()), std::memory_order_relaxed);
    for (int k = 0; k < kCategoryCount; ++k) decode_breakdown_ps_[k] += total[k];
  }
  if (token_ < static_cast<uint32_t>(config_.decode_tokens)) {
    StartToken(token_ + 1);
  } else {
    finished_ = true;
  }
}

void DecodeDriver::AddToDigest(sim::DigestBuilder& d) const {
  d.Add(prefill_end_).Add(static_cast<uint64_t>(token_ends_.size())).Add(ops_issued_).Add(routing_hash_);
  for (sim::SimTime t : token_ends_) d.Add(t);
  for (int64_t v : decode_breakdown_ps_) d.Add(v);
  d.Add(decode_weight_bytes_);
}

void DecodeDriver::CollectStatistics(std::vector<sim::Statistic>* out) const {
  out->push_back({"ops_issued", static_cast<double>(ops_issued_), "ops"});
  out->push_back({"tokens_decoded", static_cast<double>(token_ends_.size()), "tokens"});
  out->push_back({"prefill_end", prefill_end_.ToSeconds(), "s"});
}

}  // namespace strata::host
