#include "services/systems/core/host_spec.h"

#include <utility>

#include "services/systems/core/sustained_bandwidth.h"


namespace strata::systems {

host::RooflineConfig HostRoofline(std::string name, const v1::HostCpu& cpu, const v1::Dram& dram) {
  host::RooflineConfig rc;
  rc.name = std::move(name);
  rc.peak_flops = cpu.peak_tflops() * 1e12;
  rc.vector_flops = cpu.vector_gflops() * 1e9;
  rc.memory_bytes_per_second = SustainedBytesPerSecond(dram);  // decode streams at the sustained rate, not the peak
  rc.per_op_overhead = sim::SimTime::FromMicroseconds(cpu.per_op_overhead_us());
  return rc;
}

}  // namespace strata::systems
