// The host-side processors of a job spec (a CPU or CMOS logic over DRAM)
// as the host models take them (their defaults: parameters.h).
#ifndef STRATA_SYSTEMS_CORE_HOST_SPEC_H_
#define STRATA_SYSTEMS_CORE_HOST_SPEC_H_

#include <string>

#include "services/host/compute/roofline_executor.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

// A processor's roofline: `cpu`'s matrix and vector rates and per-op
// overhead over `dram`'s sustained read bandwidth (sustained_bandwidth.h).
host::RooflineConfig HostRoofline(std::string name, const v1::HostCpu& cpu, const v1::Dram& dram);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CORE_HOST_SPEC_H_
