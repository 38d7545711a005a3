#include "services/systems/core/sustained_bandwidth.h"

namespace strata::systems {
namespace {
double Fraction(double f) { return f > 0 ? f : 1.0; }
}  // namespace

double SustainedBytesPerSecond(const v1::Dram& dram) {
  return dram.bandwidth_gbps() * 1e9 * Fraction(dram.sustained_fraction());
}

double SustainedHbmBytesPerSecond(const v1::Gpu& gpu) {
  return gpu.hbm_bandwidth_gbps() * 1e9 * Fraction(gpu.hbm_sustained_fraction());
}

}  // namespace strata::systems
