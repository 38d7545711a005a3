// PCIe link model: the host <-> SSD link an NVMe device sits on.
//
// Hardware: one PCIe link (generation, lanes), full duplex: each direction
// carries one transaction-layer packet (TLP) at a time, first come first
// served. A TLP of p payload bytes occupies the wire for
//   (p + ceil(p / max_payload) * tlp_overhead) bytes   (>= one TLP's overhead)
// at the raw per-direction rate, and arrives one_way_latency after its last
// byte left.
//
// Raw per-lane rate (PCI-SIG base specifications; per direction):
//   gen1 2.5 GT/s, gen2 5 GT/s      8b/10b   -> x 8/10
//   gen3 8 GT/s, gen4 16, gen5 32   128b/130b -> x 128/130
// so PCIe 4.0 x4 = 4 x 16 GT/s x 128/130 / 8 bit = 7.877 GB/s (AiF's
// "8 GB/s", REFERENCE.md). Gen6 (PAM4, FLIT mode) is not modelled.
//
// Parameters (PcieConfig):
//   generation          1..5                                         (4: AiF)
//   lanes               1, 2, 4, 8, 16                               (4: AiF)
//   max_payload_bytes   MPS, 128..4096, power of two                 (256: the
//                       common value set by host BIOSes; *typical*)
//   tlp_overhead_bytes  wire bytes per TLP besides payload           (26: gen3+
//                       framing token 4 + sequence 2 + 4-DW header 16 (64-bit
//                       address) + LCRC 4, PCIe base spec; ECRC off)
//   one_way_latency     PHY + data-link + root-complex traversal of one TLP
//                                                                    (250 ns,
//                       *typical*: Neugebauer et al., SIGCOMM'18 measure
//                       ~400-600 ns for a 64 B DMA read round trip on Xeon
//                       hosts, host memory included)
// Link-layer DLLPs (ACK, flow-control credits) are not modelled; they take
// a few % of the wire at most and would scale every transfer alike.
#ifndef STRATA_CONTROLLER_NVME_PCIE_LINK_H_
#define STRATA_CONTROLLER_NVME_PCIE_LINK_H_

#include <cstdint>

#include "absl/status/status.h"
#include "strata/sim/time.h"

namespace strata::controller {

using sim::SimTime;

struct PcieConfig {
  uint32_t generation = 4;
  uint32_t lanes = 4;
  uint32_t max_payload_bytes = 256;
  uint32_t tlp_overhead_bytes = 26;
  SimTime one_way_latency = SimTime::Nanoseconds(250);
};

// INVALID_ARGUMENT naming the field ("pcie.lanes"), its value and the range.
absl::Status ValidatePcieConfig(const PcieConfig& config);

// Pure timing arithmetic of one link (no state; the NVMe component keeps the
// per-direction busy-until times).
class PcieLinkModel {
 public:
  // `config` must have passed ValidatePcieConfig.
  explicit PcieLinkModel(const PcieConfig& config);

  // Transfers per second per lane (e.g. 16e9 for gen4).
  uint64_t transfers_per_second_per_lane() const { return gt_per_s_; }
  // Encoding as payload bits / line bits: 8/10 or 128/130.
  uint32_t encoding_numerator() const { return enc_num_; }
  uint32_t encoding_denominator() const { return enc_den_; }
  // Raw bytes per second per direction, after line encoding (reporting).
  double RawBytesPerSecond() const;
  // Wire bytes of `payload` bytes sent as ceil(payload / MPS) TLPs; a
  // zero-payload request is one header-only TLP.
  uint64_t WireBytes(uint64_t payload) const;
  // Time the wire is busy for `wire_bytes`, rounded up to a picosecond,
  // exact: bytes x 8 x enc_den / (enc_num x lanes x GT/s).
  SimTime WireTime(uint64_t wire_bytes) const;
  // Time to send `payload` bytes: WireTime(WireBytes(payload)).
  SimTime PayloadTime(uint64_t payload) const { return WireTime(WireBytes(payload)); }
  // payload / wire bytes for a transfer of `payload` (reporting).
  double Efficiency(uint64_t payload) const;
  const PcieConfig& config() const { return config_; }

 private:
  PcieConfig config_;
  uint64_t gt_per_s_;
  uint32_t enc_num_;
  uint32_t enc_den_;
};

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_NVME_PCIE_LINK_H_
