#include "distributed/placement.h"

#include <algorithm>
#include <set>

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

namespace {

// A group's name for placement: ungrouped components are their own unit.
std::string UnitOf(const sim::Simulation& sim, sim::ComponentId id) {
  return sim.group(id).empty() ? absl::StrCat("#", id) : sim.group(id);
}

// Deals one role's groups (in first-mention order) over its services:
// round-robin without weights; with weights, heaviest group first onto the
// least-loaded service (ties: the earlier group, then the service with
// fewer groups, then the earlier service), so
// a role's busiest service carries as little of the pilot's work as whole
// groups allow.
void DealGroups(const std::vector<std::string>& groups, const std::vector<size_t>& services,
                const std::map<std::string, double>& weight_of_group, std::map<std::string, size_t>* service_of_group) {
  if (weight_of_group.empty()) {
    for (size_t k = 0; k < groups.size(); ++k) (*service_of_group)[groups[k]] = services[k % services.size()];
    return;
  }
  std::vector<size_t> order(groups.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return weight_of_group.at(groups[a]) > weight_of_group.at(groups[b]);
  });
  // (events, groups) per service: groups the pilot never saw still spread.
  std::vector<std::pair<double, size_t>> load(services.size(), {0.0, 0});
  for (size_t k : order) {
    const size_t lightest = std::min_element(load.begin(), load.end()) - load.begin();
    load[lightest].first += weight_of_group.at(groups[k]);
    ++load[lightest].second;
    (*service_of_group)[groups[k]] = services[lightest];
  }
}

}  // namespace

absl::StatusOr<Placement> PlaceByRole(const sim::Simulation& sim, const std::vector<ServiceEndpoint>& services,
                                      const std::vector<double>& weights) {
  if (!weights.empty() && weights.size() != sim.size()) {
    return absl::InvalidArgumentError(absl::StrCat("placement weights: ", weights.size(), " for ", sim.size(),
                                                   " components; allowed: none or one per component"));
  }
  std::map<v1::ServiceRole, std::vector<size_t>> by_role;  // indices into `services`
  for (size_t i = 0; i < services.size(); ++i) by_role[services[i].role].push_back(i);
  // Each role's groups in the order the graph first mentions them, and
  // their weights (the pilot's events of their components).
  std::map<v1::ServiceRole, std::vector<std::string>> groups_of_role;
  std::map<std::string, double> weight_of_group;
  std::set<std::string> seen;
  for (sim::ComponentId id = 0; id < sim.size(); ++id) {
    const std::string group = UnitOf(sim, id);
    if (!weights.empty()) weight_of_group[group] += weights[id];
    if (!seen.insert(group).second) continue;
    const v1::ServiceRole role = sim.group(id).empty() ? v1::HOST : RoleOfGroup(group);
    if (by_role[role].empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the job has ", RoleName(role), " components (group '", group, "') but no ", RoleName(role),
          " service is available; start strata-", RoleName(role), " --coordinator=... or list it with --",
          RoleName(role)));
    }
    groups_of_role[role].push_back(group);
  }
  std::map<std::string, size_t> service_of_group;
  for (const auto& [role, groups] : groups_of_role) DealGroups(groups, by_role[role], weight_of_group, &service_of_group);
  // Partitions are numbered in the order their first group appears.
  std::map<size_t, sim::PartitionId> partition_of_service;
  std::set<std::string> listed;
  Placement out;
  out.plan.partition_of.resize(sim.size());
  for (sim::ComponentId id = 0; id < sim.size(); ++id) {
    const std::string group = UnitOf(sim, id);
    const size_t service = service_of_group.at(group);
    auto [it, added] = partition_of_service.emplace(service, static_cast<sim::PartitionId>(out.service.size()));
    if (added) {
      out.service.push_back(services[service]);
      out.groups.emplace_back();
    }
    if (listed.insert(group).second) out.groups[it->second].push_back(group);
    out.plan.partition_of[id] = it->second;
  }
  out.plan.partition_count = static_cast<int>(out.service.size());
  if (out.plan.partition_count > sim::kMaxPartitions) {
    return absl::FailedPreconditionError(absl::StrCat("the placement needs ", out.plan.partition_count,
                                                      " partitions; allowed: at most ", sim::kMaxPartitions));
  }
  return out;
}

}  // namespace strata::coordinator
