#include "compute/pcie_link.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace strata::host {

absl::StatusOr<uint64_t> PcieRawBytesPerSecond(int generation, int lanes) {
  uint64_t giga_transfers;
  switch (generation) {
    case 3: giga_transfers = 8; break;
    case 4: giga_transfers = 16; break;
    case 5: giga_transfers = 32; break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("pcie.generation = ", generation, "; allowed: 3, 4, 5"));
  }
  if (lanes < 1 || lanes > 16) {
    return absl::InvalidArgumentError(absl::StrCat("pcie.lanes = ", lanes, "; allowed: 1 to 16"));
  }
  // GT/s per lane x 128/130 coding / 8 bits per byte.
  return giga_transfers * 1'000'000'000ULL * 16 / 130 * static_cast<uint64_t>(lanes);
}

PcieLink::PcieLink(std::string name, uint64_t bytes_per_second, sim::SimTime latency)
    : Component(std::move(name)), bytes_per_second_(bytes_per_second), latency_(latency) {
  client_ = DeclarePort("client");
}

void PcieLink::Handle(const sim::Event& event) {
  if (event.type == kTransferRequest) {
    queue_.push_back(event.PayloadAs<Transfer>());
    peak_queue_ = std::max(peak_queue_, queue_.size());
    if (!busy_now_) StartNext();
  } else if (event.type == kWakeUp) {
    busy_now_ = false;
    ctx().Send(client_, kTransferDone, current_);
    StartNext();
  } else {
    ctx().Fail(absl::InternalError(absl::StrCat(name(), " got unexpected event type ", event.type)));
  }
}

void PcieLink::StartNext() {
  if (queue_.empty()) return;
  current_ = queue_.front();
  queue_.pop_front();
  busy_now_ = true;
  const sim::SimTime duration = latency_ + sim::TransferTime(static_cast<uint64_t>(current_.bytes), bytes_per_second_);
  busy_ += duration;
  bytes_ += current_.bytes;
  ++transfers_;
  ctx().Schedule(duration, kWakeUp);
}

void PcieLink::Finish() {}

void PcieLink::AddToDigest(sim::DigestBuilder& d) const { d.Add(busy_).Add(bytes_).Add(transfers_); }

void PcieLink::CollectStatistics(std::vector<sim::Statistic>* out) const {
  out->push_back({name() + ".busy", busy_.ToSeconds(), "s"});
  out->push_back({name() + ".bytes", static_cast<double>(bytes_), "bytes"});
  out->push_back({name() + ".transfers", static_cast<double>(transfers_), "transfers"});
  out->push_back({name() + ".peak_queue", static_cast<double>(peak_queue_), "transfers"});
}

}  // namespace strata::host
