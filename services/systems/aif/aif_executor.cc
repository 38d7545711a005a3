#include "services/systems/aif/aif_executor.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/controller/aif/aif_ssd.h"
#include "services/host/workload/decode_driver.h"

namespace strata::systems {

using controller::AifComplete;
using controller::AifStatus;

namespace {
uint64_t Key(uint16_t layer, uint16_t matrix) { return (uint64_t{layer} << 16) | matrix; }
}  // namespace

std::vector<AifExecutor::MatrixShape> AifExecutor::DecodeMatrices(const host::ModelShape& s) {
  std::vector<MatrixShape> m;
  const auto h = static_cast<uint32_t>(s.hidden), kv = static_cast<uint32_t>(s.kv_dim()),
             f = static_cast<uint32_t>(s.ffn);
  const uint32_t in_rows = (s.ffn_kind == host::FfnKind::kSwiGlu ? 2 : 1) * f;
  for (int l = 0; l < s.layers; ++l) {
    const auto layer = static_cast<uint16_t>(l);
    m.push_back({Key(layer, host::kMatrixQkv), h + 2 * kv, h});
    m.push_back({Key(layer, host::kMatrixOut), h, h});
    if (s.experts > 1) m.push_back({Key(layer, host::kMatrixRouter), static_cast<uint32_t>(s.experts), h});
    for (int e = 0; e < s.experts; ++e) {
      const auto in = static_cast<uint16_t>(host::kMatrixExpertBase + 2 * e);
      m.push_back({Key(layer, in), in_rows, h});
      m.push_back({Key(layer, static_cast<uint16_t>(in + 1)), h, f});
    }
  }
  m.push_back({Key(host::kLmHeadLayer, host::kMatrixLmHead), static_cast<uint32_t>(s.vocab), h});
  return m;
}

uint64_t AifExecutor::HostResidentBytes(const host::ModelShape& shape, double share) {
  uint64_t bytes = 0;
  for (const MatrixShape& m : DecodeMatrices(shape)) {
    bytes += static_cast<uint64_t>(host::HostShareRows(m.rows, share)) * m.cols;
  }
  return bytes;
}

AifExecutor::AifExecutor(const host::ModelShape& s, double host_share) : Component("aif_host") {
  driver_ = DeclarePort("driver");
  ssd_ = DeclarePort("ssd");
  to_post_ = DecodeMatrices(s);
  // Parallel execution: the SSD holds only the rows the host does not.
  for (MatrixShape& m : to_post_) m.rows -= static_cast<uint32_t>(host::HostShareRows(m.rows, host_share));
}

void AifExecutor::Init() { PostNext(); }

void AifExecutor::PostNext() {
  if (posted_ == to_post_.size()) {
    placement_time_ = ctx().Now();
    ctx().Send(driver_, host::kOffloadReady);
    return;
  }
  const MatrixShape& m = to_post_[posted_];
  posted_bytes_ += uint64_t{m.rows} * m.cols;
  ctx().Send(ssd_, controller::kAifSubmit, controller::AifPostCommand(m.rows, m.cols, posted_));
}

void AifExecutor::SendNextGemv() {
  if (busy_ || waiting_.empty()) return;
  current_ = waiting_.front();
  waiting_.pop_front();
  current_start_ = ctx().Now();
  const host::Op& op = current_.op;
  auto it = matrix_id_.find(Key(op.layer, op.matrix));
  if (it == matrix_id_.end()) {
    ctx().Fail(absl::InternalError(absl::StrCat("aif: op ", op.id, " uses layer ", op.layer, " matrix ",
                                                op.matrix, ", which was never posted")));
    return;
  }
  ctx().Send(ssd_, controller::kAifSubmit, controller::AifGemvCommand(it->second, op.id));
  busy_ = true;
  ++gemvs_;
}

void AifExecutor::Handle(const sim::Event& event) {
  if (event.type == host::kOpRequest) {
    waiting_.push_back({event.PayloadAs<host::Op>(), ctx().Now(), {}});
    SendNextGemv();
    return;
  }
  if (event.type != controller::kAifComplete) {
    ctx().Fail(absl::InternalError(absl::StrCat(name(), " got unexpected event type ", event.type)));
    return;
  }
  const AifComplete c = event.PayloadAs<AifComplete>();
  if (c.status != AifStatus::kSuccess) {
    ctx().Fail(absl::ResourceExhaustedError(absl::StrCat(
        "aif: ", posted_ < to_post_.size() ? "aif_post of matrix " : "aif_gemv of op ", c.cid,
        " failed with status ", static_cast<int>(c.status),
        c.status == AifStatus::kCapacityExceeded ? " (the model does not fit the SSD's IFP blocks)" : "")));
    return;
  }
  if (posted_ < to_post_.size()) {
    matrix_id_[to_post_[posted_].key] = c.matrix;
    ++posted_;
    PostNext();
    return;
  }
  // The ops still waiting waited through this command, or the part of it
  // since they arrived: its flash share of that part is flash, the rest
  // the NVMe path's.
  const sim::SimTime now = ctx().Now();
  const int64_t span = (now - current_start_).ps();
  for (Waiting& w : waiting_) {
    const int64_t part = (now - std::max(w.arrived, current_start_)).ps();
    const auto flash = span > 0 ? static_cast<int64_t>(static_cast<__int128>(part) * c.flash_ps / span) : 0;
    w.wait.Add(host::Category::kFlashArray, sim::SimTime::Picoseconds(flash));
    w.wait.Add(host::Category::kPcieNvme, sim::SimTime::Picoseconds(part - flash));
  }
  host::OpDone done = current_.wait;
  done.id = current_.op.id;
  done.Add(host::Category::kFlashArray, sim::SimTime::Picoseconds(c.flash_ps));
  done.Add(host::Category::kPcieNvme, sim::SimTime::Picoseconds(c.latency_ps - c.flash_ps));
  ctx().Send(driver_, host::kOpComplete, done);
  busy_ = false;
  SendNextGemv();
}

void AifExecutor::AddToDigest(sim::DigestBuilder& d) const {
  d.Add(static_cast<uint64_t>(posted_)).Add(placement_time_).Add(gemvs_);
}

void AifExecutor::CollectStatistics(std::vector<sim::Statistic>* out) const {
  out->push_back({"aif.matrices_posted", static_cast<double>(posted_), "matrices"});
  out->push_back({"aif.placement_time", placement_time_.ToSeconds(), "s"});
  out->push_back({"aif.gemvs", static_cast<double>(gemvs_), "commands"});
}

}  // namespace strata::systems
