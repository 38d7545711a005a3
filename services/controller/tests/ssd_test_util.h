// Helpers shared by the timed-SSD tests: a built SSD with its simulation,
// and the hand-computation units of the NVMe path (PCIe 4.0 x4 wire times).
#ifndef STRATA_CONTROLLER_TESTS_SSD_TEST_UTIL_H_
#define STRATA_CONTROLLER_TESTS_SSD_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "ssd/ssd_system.h"
#include "strata/sim/simulation.h"
#include "strata/sim/time.h"

namespace strata::controller::testing {

using sim::SimTime;

struct SsdBench {
  sim::Simulation sim;
  SsdSystem ssd;
};

// BuildSsd into a fresh simulation; nullptr (and a test failure) on error.
inline std::unique_ptr<SsdBench> MakeSsdBench(const SsdSystemConfig& c) {
  auto b = std::make_unique<SsdBench>();
  absl::StatusOr<SsdSystem> ssd = BuildSsd(c, &b->sim);
  EXPECT_TRUE(ssd.ok()) << ssd.status();
  if (!ssd.ok()) return nullptr;
  b->ssd = *ssd;
  return b;
}

inline SimTime Ns(int64_t ns) { return SimTime::Nanoseconds(ns); }
inline SimTime Us(double us) { return SimTime::FromMicroseconds(us); }
// Time on a PCIe 4.0 x4 wire for `payload` bytes: ceil(payload / 256) TLPs
// of 26 B overhead each, 1'040'000 / 8192 ps per byte, rounded up.
inline SimTime Wire(int64_t payload) {
  const int64_t tlps = payload == 0 ? 1 : (payload + 255) / 256;
  const int64_t bytes = payload + tlps * 26;
  return SimTime::Picoseconds((bytes * 1'040'000 + 8191) / 8192);
}
// The link's one-way latency (nvme/pcie_link.h, typical).
inline const SimTime kOneWay = Ns(250);

}  // namespace strata::controller::testing

#endif  // STRATA_CONTROLLER_TESTS_SSD_TEST_UTIL_H_
