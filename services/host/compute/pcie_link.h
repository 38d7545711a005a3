// PcieLink: a point-to-point link (PCIe, or the NVMe path over it) moving
// bulk transfers one at a time in arrival order. Each transfer takes
//   latency + bytes / (raw rate x efficiency)
// where the raw rate is per PCI-SIG: 8 GT/s (gen 3), 16 (gen 4), 32 (gen 5)
// per lane with 128b/130b encoding, i.e. 0.985, 1.969, 3.938 GB/s per lane.
//
// Ports: "client" (Transfer in, the same Transfer back when it has landed).
// Statistics: busy time, bytes, transfers, peak queue depth.
#ifndef STRATA_HOST_COMPUTE_PCIE_LINK_H_
#define STRATA_HOST_COMPUTE_PCIE_LINK_H_

#include <deque>
#include <string>

#include "absl/status/statusor.h"
#include "strata/sim/component.h"
#include "workload/ops.h"

namespace strata::host {

// Raw bytes/s of a PCIe link after 128b/130b coding. Errors name the field.
absl::StatusOr<uint64_t> PcieRawBytesPerSecond(int generation, int lanes);

class PcieLink final : public sim::Component {
 public:
  PcieLink(std::string name, uint64_t bytes_per_second, sim::SimTime latency);
  void Handle(const sim::Event& event) override;
  void Finish() override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;
  sim::SimTime busy_time() const { return busy_; }
  int64_t bytes() const { return bytes_; }
  uint64_t bytes_per_second() const { return bytes_per_second_; }

 private:
  void StartNext();
  const uint64_t bytes_per_second_;
  const sim::SimTime latency_;
  sim::PortId client_;
  std::deque<Transfer> queue_;
  bool busy_now_ = false;
  Transfer current_{};
  sim::SimTime busy_;
  int64_t bytes_ = 0;
  uint64_t transfers_ = 0;
  size_t peak_queue_ = 0;
};

}  // namespace strata::host

#endif  // STRATA_HOST_COMPUTE_PCIE_LINK_H_
