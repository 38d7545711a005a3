#include "compute/flash_gemv_executor.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "flash/nand_events.h"
#include "flash/page_coding.h"
#include "workload/decode_driver.h"

namespace strata::host {

namespace {
// Request ids: op id in the high bits, the request's index below.
constexpr int kRequestBits = 20;
}

FlashGemvExecutor::FlashGemvExecutor(const nand::NandConfig& nand, const ModelShape& shape, WeightType weight_type)
    : Component("flash_gemv"), nand_(nand), shape_(shape), weight_type_(weight_type) {
  driver_ = DeclarePort("driver");
  for (uint32_t c = 0; c < nand.geometry.channels; ++c) channels_.push_back(DeclarePort(absl::StrCat("ch", c)));
  // Lookahead: requests go out only when an op arrives, and an op completes
  // only when a response arrives; a response never sends a request, nor an
  // op a completion.
  DeclareReaction(driver_, driver_, sim::SimTime::Infinite());
  for (sim::PortId from : channels_) {
    for (sim::PortId to : channels_) DeclareReaction(from, to, sim::SimTime::Infinite());
  }
  // Which stage bounds the per-page pipeline: the array read (mean tR over
  // the page types) or the PE array's MACs for one page per plane.
  const double mean_read_us = nand::MeanReadSeconds(nand) * 1e6;
  const double weights_per_page = nand.geometry.page_bytes * 8.0 / WeightBits(weight_type);
  const int pe_units = nand.pe.placement == nand::PePlacement::kPerPlane ? 1 : static_cast<int>(nand.geometry.planes_per_die);
  const double pe_us = weights_per_page * pe_units / (nand.pe.macs_per_cycle * static_cast<double>(nand.pe.clock_hz)) * 1e6;
  bottleneck_ = pe_us > mean_read_us ? Category::kPeCompute : Category::kFlashArray;
}

const FlashGemvExecutor::Placement* FlashGemvExecutor::Place(const Op& op) {
  const uint64_t key = (uint64_t{op.layer} << 16) | op.matrix;
  auto it = placement_.find(key);
  if (it != placement_.end()) return &it->second;
  const nand::NandGeometry& g = nand_.geometry;
  const uint64_t pages = (static_cast<uint64_t>(op.weight_bytes) + g.page_bytes - 1) / g.page_bytes;
  const uint64_t planes = uint64_t{g.dies()} * g.planes_per_die;
  const auto per_plane = static_cast<uint32_t>((pages + planes - 1) / planes);
  const uint32_t blocks = (per_plane + g.pages_per_block() - 1) / g.pages_per_block();
  if (next_block_ + blocks > g.blocks_per_plane) {
    ctx().Fail(absl::ResourceExhaustedError(absl::StrCat(
        "the weights do not fit the flash: layer ", op.layer, " matrix ", op.matrix, " needs blocks ",
        next_block_, "..", next_block_ + blocks - 1, " of ", g.blocks_per_plane, " per plane")));
    return nullptr;
  }
  Placement p{next_block_, per_plane, static_cast<uint32_t>(GemvInputWidth(shape_, op.matrix))};
  next_block_ += blocks;
  return &placement_.emplace(key, p).first->second;
}

void FlashGemvExecutor::Start(const Op& op) {
  const Placement* p = Place(op);
  if (p == nullptr) return;
  const nand::NandGeometry& g = nand_.geometry;
  const double weights_per_byte = 8.0 / WeightBits(weight_type_);
  uint32_t index = 0;
  for (uint32_t c = 0; c < g.channels; ++c) {
    for (uint32_t d = 0; d < g.dies_per_channel; ++d) {
      uint32_t remaining = p->pages_per_plane;
      for (uint32_t b = p->first_block; remaining > 0; ++b) {
        const uint32_t count = std::min(remaining, g.pages_per_block());
        nand::NandRequest r;
        r.id = (uint64_t{op.id} << kRequestBits) | index++;
        r.op = nand::NandOp::kGemv;
        r.die = static_cast<uint8_t>(d);
        r.block = b;
        r.page = 0;
        r.page_count = static_cast<uint16_t>(count);
        r.plane = 0;
        r.plane_count = static_cast<uint8_t>(g.planes_per_die);
        r.vector_dim = p->vector_dim;
        // The rows whose weights these pages hold (whole rows only).
        const double weights = static_cast<double>(count) * g.planes_per_die * g.page_bytes * weights_per_byte;
        r.output_rows = static_cast<uint32_t>(weights / p->vector_dim);
        ctx().Send(channels_[c], nand::kNandRequest, r);
        pages_ += uint64_t{count} * g.planes_per_die;
        remaining -= count;
      }
    }
  }
  requests_ += index;
  pending_[op.id] = Pending{op, ctx().Now(), index};
}

void FlashGemvExecutor::Handle(const sim::Event& event) {
  if (event.type == kOpRequest) {
    const Op op = event.PayloadAs<Op>();
    if (op.kind != OpKind::kGemv) {
      ctx().Fail(absl::InvalidArgumentError(absl::StrCat("flash GEMV executor got a non-GEMV op ", op.id)));
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
    ctx().Fail(absl::DataLossError(absl::StrCat("flash GEMV request ", response.id, " failed with status ",
                                                static_cast<int>(response.status))));
    return;
  }
  partial_sum_bytes_ += response.output_bytes;
  auto it = pending_.find(response.id >> kRequestBits);
  if (it == pending_.end()) {
    ctx().Fail(absl::InternalError(absl::StrCat("response for unknown flash request ", response.id)));
    return;
  }
  if (--it->second.outstanding > 0) return;
  OpDone done;
  done.id = it->second.op.id;
  done.Add(bottleneck_, ctx().Now() - it->second.arrived);
  ctx().Send(driver_, kOpComplete, done);
  pending_.erase(it);
}

void FlashGemvExecutor::AddToDigest(sim::DigestBuilder& d) const {
  d.Add(ops_).Add(requests_).Add(pages_).Add(partial_sum_bytes_).Add(static_cast<uint64_t>(next_block_));
}

void FlashGemvExecutor::CollectStatistics(std::vector<sim::Statistic>* out) const {
  out->push_back({"flash_gemv.ops", static_cast<double>(ops_), "ops"});
  out->push_back({"flash_gemv.requests", static_cast<double>(requests_), "requests"});
  out->push_back({"flash_gemv.pages", static_cast<double>(pages_), "pages"});
  out->push_back({"flash_gemv.partial_sum_bytes", static_cast<double>(partial_sum_bytes_), "bytes"});
}

}  // namespace strata::host
