#include "isc/controller_gemv_engine.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace strata::controller {

namespace {
// NAND request ids: the GEMV's sequence number above, the channel below.
constexpr int kChannelBits = 16;

struct ComputeDone {
  uint64_t seq = 0;
  int64_t last_arrival_ps = 0;
};
}  // namespace

absl::Status ValidateControllerGemvConfig(const ControllerGemvConfig& c) {
  if (absl::Status s = nand::ValidateNandConfig(c.nand); !s.ok()) return s;
  auto bad = [](const char* field, double v, const char* allowed) {
    return absl::InvalidArgumentError(absl::StrCat(field, " = ", v, "; allowed: ", allowed));
  };
  if (c.nand.pe.placement != nand::PePlacement::kNone) {
    return bad("nand.pe.placement", static_cast<int>(c.nand.pe.placement), "0 (none: the compute is in the controller)");
  }
  if (c.compute_units < 1 || c.compute_units > 1024) return bad("compute_units", c.compute_units, "1 to 1024");
  if (c.clock_hz < 1'000'000 || c.clock_hz > 10'000'000'000) return bad("clock_hz", static_cast<double>(c.clock_hz), "1e6 to 1e10");
  if (c.macs_per_cycle < 1 || c.macs_per_cycle > 65536) return bad("macs_per_cycle", c.macs_per_cycle, "1 to 65536");
  if (c.weight_bits != 4 && c.weight_bits != 8 && c.weight_bits != 16) return bad("weight_bits", c.weight_bits, "4, 8 or 16");
  if (c.request_steps < 1 || c.request_steps > 0xFFFF) return bad("request_steps", c.request_steps, "1 to 65535");
  return absl::OkStatus();
}

ControllerGemvEngine::ControllerGemvEngine(std::string name, const ControllerGemvConfig& config)
    : Component(std::move(name)), config_(config), unit_free_(config.compute_units) {
  host_ = DeclarePort("host");
  for (uint32_t c = 0; c < config.nand.geometry.channels; ++c) channels_.push_back(DeclarePort(absl::StrCat("ch", c)));
}

double ControllerGemvEngine::ChannelBytesPerSecond() const {
  return static_cast<double>(config_.nand.bus.bytes_per_second()) * config_.nand.geometry.channels;
}

const ControllerGemvEngine::Placement* ControllerGemvEngine::Place(const IscGemv& g) {
  auto it = placement_.find(g.matrix);
  if (it != placement_.end()) return &it->second;
  const nand::NandGeometry& geo = config_.nand.geometry;
  const uint64_t pages = (static_cast<uint64_t>(g.weight_bytes) + geo.page_bytes - 1) / geo.page_bytes;
  const uint64_t planes = uint64_t{geo.dies()} * geo.planes_per_die;
  const auto per_plane = static_cast<uint32_t>((pages + planes - 1) / planes);
  const uint32_t blocks = (per_plane + geo.pages_per_block() - 1) / geo.pages_per_block();
  if (next_block_ + blocks > geo.blocks_per_plane) {
    ctx().Fail(absl::ResourceExhaustedError(absl::StrCat(name(), ": the weights do not fit the flash: matrix ",
                                                         g.matrix, " needs blocks ", next_block_, "..",
                                                         next_block_ + blocks - 1, " of ", geo.blocks_per_plane,
                                                         " per plane")));
    return nullptr;
  }
  Placement p{next_block_, per_plane};
  next_block_ += blocks;
  return &placement_.emplace(g.matrix, p).first->second;
}

void ControllerGemvEngine::Start(const IscGemv& g) {
  const Placement* p = Place(g);
  if (p == nullptr) return;
  const nand::NandGeometry& geo = config_.nand.geometry;
  const uint64_t seq = next_seq_++;
  Pending& pending = pending_[seq];
  pending.gemv = g;
  pending.arrived = ctx().Now();
  for (uint32_t c = 0; c < geo.channels; ++c) {
    for (uint32_t d = 0; d < geo.dies_per_channel; ++d) {
      uint32_t done = 0;
      while (done < p->pages_per_plane) {
        const uint32_t block = p->first_block + done / geo.pages_per_block();
        const uint32_t page = done % geo.pages_per_block();
        const uint32_t count =
            std::min({p->pages_per_plane - done, geo.pages_per_block() - page, config_.request_steps});
        nand::NandRequest r;
        r.id = (seq << kChannelBits) | c;
        r.op = nand::NandOp::kRead;
        r.die = static_cast<uint8_t>(d);
        r.block = block;
        r.page = page;
        r.page_count = static_cast<uint16_t>(count);
        r.plane = 0;
        r.plane_count = static_cast<uint8_t>(geo.planes_per_die);
        ctx().Send(channels_[c], nand::kNandRequest, r);
        ++pending.outstanding;
        ++requests_;
        pages_ += uint64_t{count} * geo.planes_per_die;
        done += count;
      }
    }
  }
}

void ControllerGemvEngine::Handle(const sim::Event& event) {
  if (event.type == kIscGemv) {
    ++gemvs_;
    Start(event.PayloadAs<IscGemv>());
    return;
  }
  if (event.type == kIscComputeDone) {
    const auto c = event.PayloadAs<ComputeDone>();
    auto it = pending_.find(c.seq);
    IscGemvDone done;
    done.id = it->second.gemv.id;
    done.ok = !it->second.failed;
    done.stream_ps = c.last_arrival_ps - it->second.arrived.ps();
    done.compute_tail_ps = ctx().Now().ps() - c.last_arrival_ps;
    ctx().Send(host_, kIscGemvDone, done);
    pending_.erase(it);
    return;
  }
  if (event.type != nand::kNandResponse) {
    ctx().Fail(absl::InternalError(absl::StrCat(name(), " got unexpected event type ", event.type)));
    return;
  }
  const auto r = event.PayloadAs<nand::NandResponse>();
  auto it = pending_.find(r.id >> kChannelBits);
  if (it == pending_.end()) {
    ctx().Fail(absl::InternalError(absl::StrCat(name(), ": response for unknown request ", r.id)));
    return;
  }
  Pending& p = it->second;
  if (r.status != nand::NandStatus::kOk) p.failed = true;
  // The read's data is in the controller: its channel's unit multiplies it.
  const uint64_t bytes = uint64_t{r.pages} * config_.nand.geometry.page_bytes;
  const uint64_t weights = bytes * 8 / config_.weight_bits;
  const uint64_t cycles = (weights + config_.macs_per_cycle - 1) / config_.macs_per_cycle;
  const sim::SimTime compute = sim::SimTime::Picoseconds(
      static_cast<int64_t>((static_cast<double>(cycles) * 1e12 + static_cast<double>(config_.clock_hz) - 1) /
                           static_cast<double>(config_.clock_hz)));
  const uint32_t unit = static_cast<uint32_t>(r.id & ((uint64_t{1} << kChannelBits) - 1)) % config_.compute_units;
  const sim::SimTime start = std::max(ctx().Now(), unit_free_[unit]);
  unit_free_[unit] = start + compute;
  unit_busy_ += compute;
  bytes_computed_ += bytes;
  p.compute_end = std::max(p.compute_end, unit_free_[unit]);
  if (--p.outstanding > 0) return;
  ctx().Schedule(p.compute_end - ctx().Now(), kIscComputeDone, ComputeDone{it->first, ctx().Now().ps()});
}

void ControllerGemvEngine::AddToDigest(sim::DigestBuilder& d) const {
  d.Add(gemvs_).Add(requests_).Add(pages_).Add(bytes_computed_).Add(unit_busy_).Add(static_cast<uint64_t>(next_block_));
}

void ControllerGemvEngine::CollectStatistics(std::vector<sim::Statistic>* out) const {
  out->push_back({name() + ".gemvs", static_cast<double>(gemvs_), "ops"});
  out->push_back({name() + ".nand_requests", static_cast<double>(requests_), "requests"});
  out->push_back({name() + ".pages", static_cast<double>(pages_), "pages"});
  out->push_back({name() + ".bytes_computed", static_cast<double>(bytes_computed_), "bytes"});
  out->push_back({name() + ".unit_busy", unit_busy_.ToSeconds(), "s"});
}

}  // namespace strata::controller
