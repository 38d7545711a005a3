#include "distributed/placement.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace strata::coordinator {

v1::ServiceRole RoleOfGroup(const std::string& group) {
  if (absl::StartsWith(group, "nand")) return v1::NAND;
  for (const char* prefix : {"aif", "ssd", "controller", "nvme", "ftl"}) {
    if (absl::StartsWith(group, prefix)) return v1::CONTROLLER;
  }
  return v1::HOST;
}

std::string RoleName(v1::ServiceRole role) {
  switch (role) {
    case v1::NAND: return "nand";
    case v1::CONTROLLER: return "controller";
    default: return "host";
  }
}

std::string Placement::Describe(sim::PartitionId p) const {
  return absl::StrCat("partition ", p, " (", absl::StrJoin(groups[p], ", "), ") on ", RoleName(service[p].role),
                      " service ", service[p].address);
}

absl::StatusOr<Placement> PlaceByRole(const sim::Simulation& sim, const std::vector<ServiceEndpoint>& services) {
  std::map<v1::ServiceRole, std::vector<size_t>> by_role;  // indices into `services`
  for (size_t i = 0; i < services.size(); ++i) by_role[services[i].role].push_back(i);
  std::map<v1::ServiceRole, int> groups_seen;
  std::map<std::string, sim::PartitionId> partition_of_group;
  std::map<size_t, sim::PartitionId> partition_of_service;
  Placement out;
  out.plan.partition_of.resize(sim.size());
  for (sim::ComponentId id = 0; id < sim.size(); ++id) {
    // Ungrouped components are their own unit; they take the host role.
    const std::string group = sim.group(id).empty() ? absl::StrCat("#", id) : sim.group(id);
    auto known = partition_of_group.find(group);
    if (known == partition_of_group.end()) {
      const v1::ServiceRole role = sim.group(id).empty() ? v1::HOST : RoleOfGroup(group);
      const std::vector<size_t>& candidates = by_role[role];
      if (candidates.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the job has ", RoleName(role), " components (group '", group, "') but no ", RoleName(role),
            " service is available; start strata-", RoleName(role), " --coordinator=... or list it with --",
            RoleName(role)));
      }
      const size_t service = candidates[groups_seen[role]++ % candidates.size()];
      auto [it, added] = partition_of_service.emplace(service, static_cast<sim::PartitionId>(out.service.size()));
      if (added) {
        out.service.push_back(services[service]);
        out.groups.emplace_back();
      }
      out.groups[it->second].push_back(group);
      known = partition_of_group.emplace(group, it->second).first;
    }
    out.plan.partition_of[id] = known->second;
  }
  out.plan.partition_count = static_cast<int>(out.service.size());
  if (out.plan.partition_count > sim::kMaxPartitions) {
    return absl::FailedPreconditionError(absl::StrCat("the placement needs ", out.plan.partition_count,
                                                      " partitions; allowed: at most ", sim::kMaxPartitions));
  }
  return out;
}

}  // namespace strata::coordinator
