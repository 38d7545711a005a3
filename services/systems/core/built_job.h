// A built job: the component graph of one job spec and the handles its
// result is read from. Every system fills the same fields; nothing here is
// specific to one system.
#ifndef STRATA_SYSTEMS_CORE_BUILT_JOB_H_
#define STRATA_SYSTEMS_CORE_BUILT_JOB_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "services/host/model/model_catalog.h"
#include "services/host/workload/decode_driver.h"
#include "strata/sim/simulation.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

struct BuiltJob {
  // Set while building (may be null): a system passes it to its long loops
  // (BuildNandArray) so a cancelled job stops building within a plane's fill.
  const std::atomic<bool>* cancel = nullptr;
  std::unique_ptr<sim::Simulation> sim;
  host::DecodeDriver* driver = nullptr;
  host::ModelShape shape;
  std::string system;  // JobResult.system
  // A resource whose utilisation the result reports: reads its busy time
  // (summed over its `units`, e.g. dies) and bytes moved after the run.
  // Sums, so that figures from processes that each ran some of the units
  // add up (components that ran elsewhere read zero).
  struct Resource {
    std::string name;
    std::function<sim::SimTime()> busy;
    std::function<int64_t()> bytes;
    int64_t units = 1;
  };
  std::vector<Resource> resources;
  // The component behind the driver's offload port (none for host-only
  // systems): tests look inside it (pages requested, bytes posted).
  const sim::Component* offload = nullptr;
  // A one-off setup before the first token (AiF's aif_post placement): the
  // component that times it and, after the run, how long it took.
  struct Setup {
    sim::ComponentId component;
    std::function<sim::SimTime()> time;
  };
  std::optional<Setup> setup;
  // Activity the energy accounting prices (energy_model.h), read after the
  // run like `resources` (sums; components that ran elsewhere read zero),
  // and the devices whose static power runs for the whole run (units: dies,
  // GiB, chips; the same in every process, so not summed).
  struct Activity {
    std::string name;
    std::function<int64_t()> count;
  };
  std::vector<Activity> activities;
  struct StaticLoad {
    std::string name;
    double units = 1;
  };
  std::vector<StaticLoad> static_loads;
  // Fills the system's own result fields after an embedded run (user I/O
  // beside SSD offloading: JobResult.ssd_io); may be empty.
  std::function<void(v1::JobResult*)> finish_result;
};

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CORE_BUILT_JOB_H_
