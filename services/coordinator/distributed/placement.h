// Placement: which service runs which components of a distributed job.
//
// Components keep their group key's affinity (sim-core partitioner): a
// group never splits. Each group has a role by its name: "nand*" groups
// (channels with their dies) go to nand services; "aif", "ssd*",
// "controller*", "nvme*" and "ftl*" to controller services; the rest
// (the decode driver, CPU/GPU, DRAM, PCIe) to host services. Within a role,
// groups are dealt round-robin over that role's services in the order the
// graph first mentions them (or balanced by a pilot's event counts), and
// each service that gets any group runs them
// as one partition. The result depends only on the graph and the service
// lists, never on timing, so a rerun places the same way.
#ifndef STRATA_COORDINATOR_DISTRIBUTED_PLACEMENT_H_
#define STRATA_COORDINATOR_DISTRIBUTED_PLACEMENT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "strata/sim/partitioner.h"
#include "strata/sim/simulation.h"
#include "strata/v1/partition_service.pb.h"

namespace strata::coordinator {

v1::ServiceRole RoleOfGroup(const std::string& group);
std::string RoleName(v1::ServiceRole role);  // "nand", "controller", "host"

// A service that may take partitions.
struct ServiceEndpoint {
  v1::ServiceRole role = v1::HOST;
  std::string address;
};

struct Placement {
  sim::PartitionPlan plan;
  // By partition: where it runs and which groups it holds (for messages
  // such as "lost partition 2 (nand_ch1, nand_ch3) on nand service ...").
  std::vector<ServiceEndpoint> service;
  std::vector<std::vector<std::string>> groups;
  std::string Describe(sim::PartitionId p) const;
};

// FAILED_PRECONDITION naming the role when the graph has groups of a role
// with no service to run them. `weights` (empty, or one per component: the
// events a pilot run counted, `--partitions=auto`) turns each role's
// round-robin into a balance: heaviest group first onto the service with
// the fewest events so far, as the threaded planner balances partitions.
absl::StatusOr<Placement> PlaceByRole(const sim::Simulation& sim, const std::vector<ServiceEndpoint>& services,
                                      const std::vector<double>& weights = {});

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_DISTRIBUTED_PLACEMENT_H_
