#include "strata/sim/partitioner.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace strata::sim {

int PartitionUnits(const Simulation& sim) {
  int units = 0;
  absl::flat_hash_set<std::string> groups;
  for (ComponentId id = 0; id < sim.size(); ++id) {
    const std::string& group = sim.group(id);
    if (group.empty() || groups.insert(group).second) ++units;
  }
  return units;
}

absl::StatusOr<PartitionPlan> PartitionByGroup(const Simulation& sim, int partitions,
                                               const std::vector<double>& weights) {
  if (partitions < 1 || partitions > kMaxPartitions) {
    return absl::InvalidArgumentError(
        absl::StrCat("partitions = ", partitions, "; allowed: 1 to ", kMaxPartitions));
  }
  if (!weights.empty() && weights.size() != sim.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("weights has ", weights.size(), " entries; the graph has ", sim.size(), " components"));
  }
  // A unit is a group (all its members) or one ungrouped component. Units are
  // listed in order of their first component, which keeps the plan a pure
  // function of the graph.
  struct Unit {
    std::vector<ComponentId> members;
    double weight = 0;
  };
  std::vector<Unit> units;
  std::map<std::string, size_t> unit_of_group;
  for (ComponentId id = 0; id < sim.size(); ++id) {
    const std::string& group = sim.group(id);
    size_t u;
    if (group.empty()) {
      u = units.size();
      units.emplace_back();
    } else {
      auto [it, inserted] = unit_of_group.emplace(group, units.size());
      if (inserted) units.emplace_back();
      u = it->second;
    }
    units[u].members.push_back(id);
    units[u].weight += weights.empty() ? sim.component(id).PartitionWeight() : weights[id];
  }
  // Longest processing time first: heaviest unit to the lightest partition.
  std::vector<size_t> order(units.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return units[a].weight > units[b].weight; });
  PartitionPlan plan;
  plan.partition_count = partitions;
  plan.partition_of.assign(sim.size(), 0);
  std::vector<double> load(partitions, 0.0);
  for (size_t u : order) {
    const auto target = static_cast<PartitionId>(std::min_element(load.begin(), load.end()) - load.begin());
    load[target] += units[u].weight;
    for (ComponentId id : units[u].members) plan.partition_of[id] = target;
  }
  return plan;
}

LookaheadTable::LookaheadTable(const Simulation& sim, const PartitionPlan& plan)
    : count_(plan.partition_count),
      table_(static_cast<size_t>(plan.partition_count) * plan.partition_count, SimTime::Infinite()) {
  auto note = [&](PartitionId from, PartitionId to, SimTime latency) {
    if (from == to) return;
    SimTime& slot = table_[from * count_ + to];
    slot = std::min(slot, latency);
  };
  for (const Link& link : sim.links()) {
    const PartitionId pa = plan.partition_of[link.a];
    const PartitionId pb = plan.partition_of[link.b];
    note(pa, pb, link.latency);
    note(pb, pa, link.latency);
  }
  for (const Mesh& mesh : sim.meshes()) {
    std::vector<bool> present(count_, false);
    for (const auto& [id, port] : mesh.members) present[plan.partition_of[id]] = true;
    for (int i = 0; i < count_; ++i) {
      for (int j = 0; j < count_; ++j) {
        if (present[i] && present[j]) note(static_cast<PartitionId>(i), static_cast<PartitionId>(j), mesh.latency);
      }
    }
  }
  // Floyd-Warshall: once per run, at most 256^3 steps.
  distance_ = table_;
  for (int p = 0; p < count_; ++p) distance_[p * count_ + p] = SimTime::Zero();
  for (int k = 0; k < count_; ++k) {
    for (int i = 0; i < count_; ++i) {
      const SimTime ik = distance_[i * count_ + k];
      if (ik.IsInfinite()) continue;
      for (int j = 0; j < count_; ++j) {
        SimTime& ij = distance_[i * count_ + j];
        ij = std::min(ij, SaturatingAdd(ik, distance_[k * count_ + j]));
      }
    }
  }
}

absl::Status CheckCrossPartitionLatency(const Simulation& sim, const PartitionPlan& plan) {
  for (const Link& link : sim.links()) {
    const PartitionId pa = plan.partition_of[link.a];
    const PartitionId pb = plan.partition_of[link.b];
    if (pa != pb && link.latency <= SimTime::Zero()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "link ", sim.PortLabel(link.a, link.a_port), " <-> ", sim.PortLabel(link.b, link.b_port),
          " crosses partitions ", pa, " and ", pb,
          " with zero latency; a cross-partition link needs latency > 0 (it is the lookahead). "
          "Give the link a latency or put both components in one group"));
    }
  }
  return absl::OkStatus();  // meshes are checked at ConnectMesh (latency > 0)
}

}  // namespace strata::sim
