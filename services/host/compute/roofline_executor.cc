#include "compute/roofline_executor.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace strata::host {

RooflineExecutor::RooflineExecutor(RooflineConfig config) : Component(config.name), config_(std::move(config)) {
  driver_port_ = DeclarePort("driver");
  if (streaming()) pcie_port_ = DeclarePort("pcie");
}

sim::SimTime RooflineTime(const RooflineConfig& config, const Op& op) {
  const double flops_rate = op.kind == OpKind::kElementwise ? config.vector_flops : config.peak_flops;
  const double compute_s = static_cast<double>(op.flops) / flops_rate;
  const double memory_s = static_cast<double>(op.weight_bytes + op.memory_bytes) / config.memory_bytes_per_second;
  return sim::SimTime::FromSeconds(std::max(compute_s, memory_s));
}

sim::SimTime RooflineExecutor::ComputeTime(const Op& op) const { return RooflineTime(config_, op); }

bool RooflineExecutor::WeightsReady(const Op& op) const {
  if (!streaming() || op.layer == kLmHeadLayer || config_.streamed_layer_bytes[op.layer] == 0) return true;
  return std::find(landed_.begin(), landed_.end(), FetchKey(op.token, op.layer)) != landed_.end();
}

void RooflineExecutor::IssueFetches() {
  const int layers = static_cast<int>(config_.streamed_layer_bytes.size());
  while (buffers_in_use_ < config_.stream_buffers) {
    // Advance to the next streamed (token, layer) in execution order.
    do {
      if (++fetch_layer_ >= layers) {
        fetch_layer_ = 0;
        ++fetch_token_;
      }
    } while (fetch_token_ < config_.tokens && config_.streamed_layer_bytes[fetch_layer_] == 0);
    if (fetch_token_ >= config_.tokens) return;
    const uint64_t key = FetchKey(fetch_token_, static_cast<uint16_t>(fetch_layer_));
    ctx().Send(pcie_port_, kTransferRequest, Transfer{key, config_.streamed_layer_bytes[fetch_layer_]});
    in_flight_.push_back(key);
    ++buffers_in_use_;
  }
}

void RooflineExecutor::Handle(const sim::Event& event) {
  switch (event.type) {
    case kOpRequest:
      queue_.push_back({event.PayloadAs<Op>(), ctx().Now(), ledger_.At(ctx().Now())});
      if (streaming() && fetch_layer_ < 0 && fetch_token_ == 0) {
        // First op: start prefetching. fetch_layer_ = -1 means nothing fetched yet.
        IssueFetches();
      }
      TryStart();
      return;
    case kTransferDone: {
      const Transfer t = event.PayloadAs<Transfer>();
      in_flight_.erase(std::find(in_flight_.begin(), in_flight_.end(), t.tag));
      landed_.push_back(t.tag);
      streamed_bytes_ += t.bytes;
      TryStart();
      return;
    }
    case kWakeUp: {
      running_ = false;
      const Op& op = current_.op;
      const sim::SimTime run = ctx().Now() - started_;
      busy_ += run;
      OpDone done = current_wait_;
      done.id = op.id;
      done.Add(config_.other_category, config_.per_op_overhead);
      done.Add(WorkCategory(op), run - config_.per_op_overhead);
      ctx().Send(driver_port_, kOpComplete, done);
      if (streaming() && (op.flags & kLastInLayer) != 0 && op.layer != kLmHeadLayer &&
          config_.streamed_layer_bytes[op.layer] > 0) {
        landed_.erase(std::find(landed_.begin(), landed_.end(), FetchKey(op.token, op.layer)));
        --buffers_in_use_;
        IssueFetches();
      }
      TryStart();
      return;
    }
    default:
      ctx().Fail(absl::InternalError(absl::StrCat(name(), " got unexpected event type ", event.type)));
  }
}

Category RooflineExecutor::WorkCategory(const Op& op) const {
  switch (op.kind) {
    case OpKind::kGemv: return config_.gemv_category;
    case OpKind::kAttention:
    case OpKind::kKvLoad: return config_.attention_category;
    default: return config_.other_category;
  }
}

void RooflineExecutor::TryStart() {
  if (running_ || queue_.empty()) return;
  if (!WeightsReady(queue_.front().op)) {
    if (!waiting_for_weights_) {
      waiting_for_weights_ = true;
      weight_wait_start_ = ctx().Now();
      ledger_.Occupy(weight_wait_start_, sim::SimTime::Infinite(), Category::kPcieNvme);
    }
    return;
  }
  current_ = queue_.front();
  queue_.pop_front();
  running_ = true;
  started_ = ctx().Now();
  if (waiting_for_weights_) {
    waiting_for_weights_ = false;
    weight_wait_ += started_ - weight_wait_start_;
    ledger_.Close(started_);
  }
  current_wait_ = OpDone{};
  ledger_.BookWait(current_.at_arrival, current_.arrived, started_, &current_wait_);
  ++ops_;
  memory_bytes_ += current_.op.weight_bytes + current_.op.memory_bytes;
  flops_ += current_.op.flops;
  const sim::SimTime compute = ComputeTime(current_.op);
  ledger_.Occupy(started_, started_ + config_.per_op_overhead, config_.other_category);
  ledger_.Occupy(started_ + config_.per_op_overhead, started_ + config_.per_op_overhead + compute,
                 WorkCategory(current_.op));
  ctx().Schedule(config_.per_op_overhead + compute, kWakeUp);
}

void RooflineExecutor::Finish() {}

void RooflineExecutor::AddToDigest(sim::DigestBuilder& d) const {
  d.Add(busy_).Add(weight_wait_).Add(ops_).Add(memory_bytes_).Add(streamed_bytes_);
}

void RooflineExecutor::CollectStatistics(std::vector<sim::Statistic>* out) const {
  out->push_back({name() + ".busy", busy_.ToSeconds(), "s"});
  out->push_back({name() + ".ops", static_cast<double>(ops_), "ops"});
  out->push_back({name() + ".memory_bytes", static_cast<double>(memory_bytes_), "bytes"});
  if (streaming()) {
    out->push_back({name() + ".streamed_bytes", static_cast<double>(streamed_bytes_), "bytes"});
    out->push_back({name() + ".weight_wait", weight_wait_.ToSeconds(), "s"});
  }
}

}  // namespace strata::host
