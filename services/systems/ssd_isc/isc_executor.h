// IscExecutor: hands the driver's offloaded FFN GEMVs to the SSD
// controller's compute units (ControllerGemvEngine, system 6: SSD-like
// in-storage compute) and reports each back with its breakdown. The engine
// sits on the same controller SoC as the attention logic's dispatcher, so
// this is a command queue, not an NVMe path.
//
// Ports: "driver" (ops in, completions out); "engine" (kIscGemv out,
//   kIscGemvDone in).
// Breakdown: the stream (first read .. last read's data in the controller)
//   goes to the stage that bounds it, the flash channel bus (flash_bus) or
//   the arrays (flash_array), given at construction; the compute left after
//   it to pe_compute.
// Statistics: GEMVs.
#ifndef STRATA_SYSTEMS_ISC_EXECUTOR_H_
#define STRATA_SYSTEMS_ISC_EXECUTOR_H_

#include "strata/sim/component.h"
#include "services/host/workload/ops.h"

namespace strata::systems {

class IscExecutor final : public sim::Component {
 public:
  explicit IscExecutor(host::Category stream_category);
  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;

 private:
  const host::Category stream_category_;
  sim::PortId driver_, engine_;
  uint64_t gemvs_ = 0;
};

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_ISC_EXECUTOR_H_
