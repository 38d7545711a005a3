#include "services/systems/cambricon_llm/tiled_gemv_executor.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "services/host/workload/decode_driver.h"
#include "services/nand/flash/nand_events.h"

namespace strata::systems {

namespace {
// Request ids: op id in the high bits, the request's index below (as
// FlashGemvExecutor); bit 19 of the index marks an NPU read.
constexpr int kRequestBits = 20;
constexpr uint64_t kReadBit = uint64_t{1} << (kRequestBits - 1);
}  // namespace

TiledGemvExecutor::TiledGemvExecutor(const nand::NandConfig& nand, const host::ModelShape& shape,
                                     std::optional<double> npu_share, TilingRates rates)
    : Component("tiled_gemv"),
      nand_(nand),
      shape_(shape),
      npu_share_(npu_share),
      rates_(rates),
      pairs_(nand.geometry.dies_per_channel / 2) {
  driver_ = DeclarePort("driver");
  for (uint32_t c = 0; c < nand.geometry.channels; ++c) channels_.push_back(DeclarePort(absl::StrCat("ch", c)));
  // Lookahead, as FlashGemvExecutor: requests go out only when an op
  // arrives, and an op completes only when a response arrives.
  DeclareReaction(driver_, driver_, sim::SimTime::Infinite());
  for (sim::PortId from : channels_) {
    for (sim::PortId to : channels_) DeclareReaction(from, to, sim::SimTime::Infinite());
  }
  // The compute side's per-page bottleneck: a plane's array read (mean tR)
  // or the die's core taking the half's planes in turn.
  const double mean_read_us = nand::MeanReadSeconds(nand) * 1e6;
  const double pe_us = static_cast<double>(nand.geometry.page_bytes) * nand.geometry.planes_per_die /
                       (nand.pe.macs_per_cycle * static_cast<double>(nand.pe.clock_hz)) * 1e6;
  bottleneck_ = pe_us > mean_read_us ? host::Category::kPeCompute : host::Category::kFlashArray;
}

const TiledGemvExecutor::Placement* TiledGemvExecutor::Place(const host::Op& op) {
  const uint64_t key = (uint64_t{op.layer} << 16) | op.matrix;
  auto it = placement_.find(key);
  if (it != placement_.end()) return &it->second;
  const nand::NandGeometry& g = nand_.geometry;
  const uint64_t pages = (static_cast<uint64_t>(op.weight_bytes) + g.page_bytes - 1) / g.page_bytes;
  const uint64_t compute_planes = uint64_t{g.channels} * pairs_ * g.planes_per_die;
  const uint64_t all_in_flash = (pages + compute_planes - 1) / compute_planes;
  uint64_t per_plane = all_in_flash;
  if (npu_share_.has_value() && *npu_share_ > 0) {
    per_plane = std::min<uint64_t>(
        all_in_flash, static_cast<uint64_t>(std::llround((1 - *npu_share_) * static_cast<double>(pages) /
                                                         static_cast<double>(compute_planes))));
  } else if (!npu_share_.has_value()) {
    // §V-B: the split whose op time by the platform's rates is least; from
    // all in flash down, so a tie keeps the pages in flash.
    double best = -1;
    for (uint64_t k = all_in_flash + 1; k-- > 0;) {
      const double flash = static_cast<double>(k * g.planes_per_die) * rates_.t_rc_seconds;
      const double npu_bytes = static_cast<double>(pages - std::min(pages, k * compute_planes)) * g.page_bytes;
      const double t = std::max(flash, npu_bytes / rates_.channel_read_bytes_per_s);
      if (best < 0 || t < best) {
        best = t;
        per_plane = k;
      }
    }
  }
  const uint64_t npu_pages = pages - std::min(pages, per_plane * compute_planes);
  // The NPU's pages over the read dies, multi-plane over each read die's planes.
  const uint64_t read_dies = uint64_t{g.channels} * pairs_;
  const uint64_t read_plane_pages = (npu_pages + g.planes_per_die - 1) / g.planes_per_die;
  const uint64_t base = read_plane_pages / read_dies, extra = read_plane_pages % read_dies;
  auto blocks = [&](uint64_t plane_pages) {
    return static_cast<uint32_t>((plane_pages + g.pages_per_block() - 1) / g.pages_per_block());
  };
  const uint32_t compute_blocks = blocks(per_plane), read_blocks = blocks(base + (extra > 0 ? 1 : 0));
  if (next_compute_block_ + compute_blocks > g.blocks_per_plane || next_read_block_ + read_blocks > g.blocks_per_plane) {
    ctx().Fail(absl::ResourceExhaustedError(absl::StrCat(
        "the weights do not fit the flash: layer ", op.layer, " matrix ", op.matrix, " needs blocks ",
        std::max(next_compute_block_ + compute_blocks, next_read_block_ + read_blocks), " of ", g.blocks_per_plane,
        " per plane")));
    return nullptr;
  }
  Placement p{next_compute_block_,
              static_cast<uint32_t>(per_plane),
              next_read_block_,
              static_cast<uint32_t>(base),
              static_cast<uint32_t>(extra),
              static_cast<uint32_t>(host::GemvInputWidth(shape_, op.matrix))};
  next_compute_block_ += compute_blocks;
  next_read_block_ += read_blocks;
  return &placement_.emplace(key, p).first->second;
}

uint32_t TiledGemvExecutor::SendRequests(const host::Op& op, nand::NandOp kind, uint32_t channel, uint32_t die,
                                         uint32_t block, uint32_t pages_per_plane, uint32_t vector_dim,
                                         uint32_t* index) {
  const nand::NandGeometry& g = nand_.geometry;
  uint32_t sent = 0;
  for (uint32_t b = block, remaining = pages_per_plane; remaining > 0; ++b) {
    const uint32_t count = std::min(remaining, g.pages_per_block());
    nand::NandRequest r;
    r.id = (uint64_t{op.id} << kRequestBits) | (*index)++ | (kind == nand::NandOp::kRead ? kReadBit : 0);
    r.op = kind;
    r.die = static_cast<uint8_t>(die);
    r.block = b;
    r.page = 0;
    r.page_count = static_cast<uint16_t>(count);
    r.plane = 0;
    r.plane_count = static_cast<uint8_t>(g.planes_per_die);
    if (kind == nand::NandOp::kGemv) {
      r.vector_dim = vector_dim;
      // The rows whose weights these pages hold (whole rows only; INT8).
      r.output_rows = static_cast<uint32_t>(uint64_t{count} * g.planes_per_die * g.page_bytes / vector_dim);
    }
    ctx().Send(channels_[channel], nand::kNandRequest, r);
    (kind == nand::NandOp::kGemv ? compute_pages_ : read_pages_) += uint64_t{count} * g.planes_per_die;
    remaining -= count;
    ++sent;
  }
  return sent;
}

void TiledGemvExecutor::Start(const host::Op& op) {
  const Placement* p = Place(op);
  if (p == nullptr) return;
  uint32_t index = 0, requests = 0;
  for (uint32_t c = 0; c < nand_.geometry.channels; ++c) {
    for (uint32_t pair = 0; pair < pairs_; ++pair) {
      requests += SendRequests(op, nand::NandOp::kGemv, c, 2 * pair, p->compute_block, p->compute_pages_per_plane,
                               p->vector_dim, &index);
      const uint32_t order = pair * nand_.geometry.channels + c;  // channel-minor: each channel an equal share
      const uint32_t reads = p->read_pages_base + (order < p->read_pages_extra ? 1 : 0);
      requests += SendRequests(op, nand::NandOp::kRead, c, 2 * pair + 1, p->read_block, reads, 0, &index);
    }
  }
  requests_ += requests;
  if (requests == 0) {  // a GEMV has at least one weight page
    ctx().Fail(absl::InternalError(absl::StrCat("tiled GEMV op ", op.id, " placed no pages")));
    return;
  }
  pending_[op.id] = Pending{op, ctx().Now(), requests};
}

void TiledGemvExecutor::Handle(const sim::Event& event) {
  if (event.type == host::kOpRequest) {
    const host::Op op = event.PayloadAs<host::Op>();
    if (op.kind != host::OpKind::kGemv) {
      ctx().Fail(absl::InvalidArgumentError(absl::StrCat("tiled GEMV executor got a non-GEMV op ", op.id)));
      return;
    }
    ++ops_;
    Start(op);
    return;
  }
  if (event.type != nand::kNandResponse) {
    ctx().Fail(absl::InternalError(absl::StrCat(name(), " got unexpected event type ", event.type)));
    return;
  }
  const auto response = event.PayloadAs<nand::NandResponse>();
  if (response.status != nand::NandStatus::kOk) {
    ctx().Fail(absl::DataLossError(absl::StrCat("tiled GEMV request ", response.id, " failed with status ",
                                                static_cast<int>(response.status))));
    return;
  }
  partial_sum_bytes_ += response.output_bytes;
  auto it = pending_.find(response.id >> kRequestBits);
  if (it == pending_.end()) {
    ctx().Fail(absl::InternalError(absl::StrCat("response for unknown tiled request ", response.id)));
    return;
  }
  if (--it->second.outstanding > 0) return;
  host::OpDone done;
  done.id = it->second.op.id;
  done.Add((response.id & kReadBit) ? host::Category::kHostGemv : bottleneck_, ctx().Now() - it->second.arrived);
  ctx().Send(driver_, host::kOpComplete, done);
  pending_.erase(it);
}

void TiledGemvExecutor::AddToDigest(sim::DigestBuilder& d) const {
  d.Add(ops_).Add(requests_).Add(compute_pages_).Add(read_pages_).Add(partial_sum_bytes_);
  d.Add(static_cast<uint64_t>(next_compute_block_)).Add(static_cast<uint64_t>(next_read_block_));
}

void TiledGemvExecutor::CollectStatistics(std::vector<sim::Statistic>* out) const {
  out->push_back({"tiled_gemv.ops", static_cast<double>(ops_), "ops"});
  out->push_back({"tiled_gemv.requests", static_cast<double>(requests_), "requests"});
  out->push_back({"tiled_gemv.pages_computed", static_cast<double>(compute_pages_), "pages"});
  out->push_back({"tiled_gemv.pages_read_for_npu", static_cast<double>(read_pages_), "pages"});
  out->push_back({"tiled_gemv.npu_macs", static_cast<double>(npu_macs()), "MACs"});
  out->push_back({"tiled_gemv.partial_sum_bytes", static_cast<double>(partial_sum_bytes_), "bytes"});
}

}  // namespace strata::systems
