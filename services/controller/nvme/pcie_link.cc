#include "nvme/pcie_link.h"

#include "absl/strings/str_cat.h"

namespace strata::controller {

absl::Status ValidatePcieConfig(const PcieConfig& c) {
  if (c.generation < 1 || c.generation > 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("pcie.generation = ", c.generation, ": allowed 1..5 (gen6 FLIT mode is not modelled)"));
  }
  if (c.lanes != 1 && c.lanes != 2 && c.lanes != 4 && c.lanes != 8 && c.lanes != 16) {
    return absl::InvalidArgumentError(absl::StrCat("pcie.lanes = ", c.lanes, ": allowed 1, 2, 4, 8, 16"));
  }
  const uint32_t mps = c.max_payload_bytes;
  if (mps < 128 || mps > 4096 || (mps & (mps - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("pcie.max_payload_bytes = ", mps, ": allowed a power of two in 128..4096"));
  }
  if (c.tlp_overhead_bytes == 0 || c.tlp_overhead_bytes > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("pcie.tlp_overhead_bytes = ", c.tlp_overhead_bytes, ": allowed 1..64"));
  }
  if (c.one_way_latency < SimTime::Zero() || c.one_way_latency > SimTime::Milliseconds(1)) {
    return absl::InvalidArgumentError(absl::StrCat("pcie.one_way_latency = ", c.one_way_latency.ToString(),
                                                   ": allowed 0..1 ms"));
  }
  return absl::OkStatus();
}

PcieLinkModel::PcieLinkModel(const PcieConfig& config) : config_(config) {
  static constexpr uint64_t kGtPerS[] = {0, 2'500'000'000, 5'000'000'000, 8'000'000'000, 16'000'000'000,
                                         32'000'000'000};
  gt_per_s_ = kGtPerS[config.generation];
  enc_num_ = config.generation <= 2 ? 8 : 128;
  enc_den_ = config.generation <= 2 ? 10 : 130;
}

double PcieLinkModel::RawBytesPerSecond() const {
  return static_cast<double>(gt_per_s_) * config_.lanes * enc_num_ / enc_den_ / 8.0;
}

uint64_t PcieLinkModel::WireBytes(uint64_t payload) const {
  const uint64_t mps = config_.max_payload_bytes;
  const uint64_t tlps = payload == 0 ? 1 : (payload + mps - 1) / mps;
  return payload + tlps * config_.tlp_overhead_bytes;
}

SimTime PcieLinkModel::WireTime(uint64_t wire_bytes) const {
  // ps = bytes * 8 * den * 1e12 / (num * lanes * GT/s), rounded up.
  const unsigned __int128 num = static_cast<unsigned __int128>(wire_bytes) * 8 * enc_den_ * 1'000'000'000'000ULL;
  const unsigned __int128 den = static_cast<unsigned __int128>(enc_num_) * config_.lanes * gt_per_s_;
  return SimTime::Picoseconds(static_cast<int64_t>((num + den - 1) / den));
}

double PcieLinkModel::Efficiency(uint64_t payload) const {
  return static_cast<double>(payload) / static_cast<double>(WireBytes(payload));
}

}  // namespace strata::controller
