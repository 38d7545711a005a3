#include "src/internal/reaction_graph.h"

#include <algorithm>
#include <queue>
#include <utility>

#include "absl/strings/str_cat.h"

namespace strata::sim::internal {

absl::StatusOr<std::unique_ptr<ReactionGraph>> ReactionGraph::Build(const Simulation& sim, const PartitionPlan& plan) {
  bool any = false;
  for (ComponentId c = 0; c < sim.size(); ++c) {
    const Component& component = sim.component(c);
    const size_t ports = component.port_names().size();
    for (const Component::Reaction& r : component.declared_reactions()) {
      any = true;
      auto valid = [&](PortId p) { return p == kSelfPort || p < ports; };
      if (!valid(r.in) || !valid(r.out)) {
        return absl::InvalidArgumentError(absl::StrCat("component '", component.name(),
                                                       "' declared a reaction between ports ", r.in, " and ", r.out,
                                                       "; allowed: its ", ports, " declared ports or kSelfPort"));
      }
      if (r.at_least < SimTime::Zero()) {
        return absl::InvalidArgumentError(absl::StrCat("component '", component.name(), "' reaction ",
                                                       sim.PortLabel(c, r.in == kSelfPort ? 0 : r.in), " = ",
                                                       r.at_least.ToString(), "; allowed: >= 0"));
      }
    }
  }
  if (!any || plan.partition_count == 1) return nullptr;  // one partition has no windows to sharpen

  std::unique_ptr<ReactionGraph> g(new ReactionGraph());
  g->partitions_ = plan.partition_count;
  g->first_node_.resize(sim.size());
  g->ports_.resize(sim.size());
  for (ComponentId c = 0; c < sim.size(); ++c) {
    const auto ports = static_cast<uint16_t>(sim.component(c).port_names().size());
    g->first_node_[c] = static_cast<uint32_t>(g->nodes_.size());
    g->ports_[c] = ports;
    for (uint16_t a = 0; a <= ports; ++a) {
      g->nodes_.push_back({c, a == ports ? kSelfPort : a, false, {}, {}});
    }
    for (uint16_t o = 0; o < ports; ++o) g->nodes_.push_back({c, o, true, {}, {}});
  }
  auto arrival = [&](ComponentId c, PortId p) {
    return g->first_node_[c] + (p == kSelfPort ? g->ports_[c] : p);
  };
  auto departure = [&](ComponentId c, PortId o) { return g->first_node_[c] + g->ports_[c] + 1 + o; };

  for (ComponentId c = 0; c < sim.size(); ++c) {
    const uint16_t ports = g->ports_[c];
    const size_t width = ports + 1u;
    std::vector<SimTime> reaction(width * width, SimTime::Zero());
    auto index = [&](PortId p) -> size_t { return p == kSelfPort ? ports : p; };
    for (const Component::Reaction& r : sim.component(c).declared_reactions()) {
      reaction[index(r.in) * width + index(r.out)] = r.at_least;
    }
    for (uint16_t a = 0; a <= ports; ++a) {
      const PortId in = a == ports ? kSelfPort : a;
      Node& from = g->nodes_[arrival(c, in)];
      for (uint16_t o = 0; o <= ports; ++o) {
        const SimTime w = reaction[a * width + o];
        if (w.IsInfinite()) continue;  // declared: never
        const uint32_t to = o == ports ? arrival(c, kSelfPort) : departure(c, o);
        if (to == arrival(c, in)) continue;  // self to self adds nothing
        from.edges.push_back({to, w, in});
      }
    }
    for (uint16_t o = 0; o < ports; ++o) {
      Node& dep = g->nodes_[departure(c, o)];
      const Simulation::PortUse& use = sim.port_use(c, o);
      const PartitionId here = plan.partition_of[c];
      auto join = [&](ComponentId other, PortId other_port, SimTime latency) {
        const PartitionId there = plan.partition_of[other];
        if (there == here) {
          dep.edges.push_back({arrival(other, other_port), latency, kSelfPort});
        } else {
          for (Exit& e : dep.exits) {
            if (e.to == there) {
              e.latency = std::min(e.latency, latency);
              return;
            }
          }
          dep.exits.push_back({there, latency});
        }
      };
      if (use.kind == Simulation::PortUse::kLink) {
        const Link& link = sim.links()[use.index];
        const bool from_a = link.a == c && link.a_port == o;
        join(from_a ? link.b : link.a, from_a ? link.b_port : link.a_port, link.latency);
      } else if (use.kind == Simulation::PortUse::kMesh) {
        const Mesh& mesh = sim.meshes()[use.index];
        for (const auto& [member, member_port] : mesh.members) {
          if (member != c || member_port != o) join(member, member_port, mesh.latency);
        }
      }
    }
  }
  g->partition_of_node_.resize(g->nodes_.size());
  for (size_t n = 0; n < g->nodes_.size(); ++n) g->partition_of_node_[n] = plan.partition_of[g->nodes_[n].component];
  g->time_.assign(g->nodes_.size(), SimTime::Infinite());
  g->touched_generation_.assign(g->nodes_.size(), 0);
  g->generation_by_partition_.assign(plan.partition_count, 0);

  // Distance: from every entry of r (an arrival fed by another partition's
  // exit) to the exits, then Floyd-Warshall over partitions.
  const int n = plan.partition_count;
  std::vector<std::vector<std::pair<uint32_t, SimTime>>> entries(n);
  for (ComponentId c = 0; c < sim.size(); ++c) {
    for (uint16_t o = 0; o < g->ports_[c]; ++o) {
      const Simulation::PortUse& use = sim.port_use(c, o);
      auto enter = [&](ComponentId other, PortId other_port) {
        if (plan.partition_of[other] != plan.partition_of[c]) {
          entries[plan.partition_of[other]].emplace_back(arrival(other, other_port), SimTime::Zero());
        }
      };
      if (use.kind == Simulation::PortUse::kLink) {
        const Link& link = sim.links()[use.index];
        const bool from_a = link.a == c && link.a_port == o;
        enter(from_a ? link.b : link.a, from_a ? link.b_port : link.a_port);
      } else if (use.kind == Simulation::PortUse::kMesh) {
        for (const auto& [member, member_port] : sim.meshes()[use.index].members) enter(member, member_port);
      }
    }
  }
  g->distance_.assign(static_cast<size_t>(n) * n, SimTime::Infinite());
  for (int r = 0; r < n; ++r) {
    g->distance_[r * n + r] = SimTime::Zero();
    g->Search(
        entries[r], [](uint32_t, PortId) { return SimTime::Zero(); },
        [&](PartitionId to, SimTime t) {
          SimTime& d = g->distance_[r * n + to];
          d = std::min(d, t);
        });
  }
  for (int k = 0; k < n; ++k) {
    for (int i = 0; i < n; ++i) {
      const SimTime ik = g->distance_[i * n + k];
      if (ik.IsInfinite()) continue;
      for (int j = 0; j < n; ++j) {
        SimTime& ij = g->distance_[i * n + j];
        ij = std::min(ij, SaturatingAdd(ik, g->distance_[k * n + j]));
      }
    }
  }
  return g;
}

template <typename Gate, typename OnExit>
void ReactionGraph::Search(const std::vector<std::pair<uint32_t, SimTime>>& sources, Gate gate, OnExit on_exit) {
  if (sources.empty()) return;
  const PartitionId p = partition_of_node_[sources.front().first];
  const uint32_t generation = ++generation_by_partition_[p];
  auto time_of = [&](uint32_t node) {
    return touched_generation_[node] == generation ? time_[node] : SimTime::Infinite();
  };
  using Item = std::pair<SimTime, uint32_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
  auto relax = [&](uint32_t node, SimTime t) {
    if (t < time_of(node)) {
      time_[node] = t;
      touched_generation_[node] = generation;
      queue.emplace(t, node);
    }
  };
  for (const auto& [node, t] : sources) relax(node, t);
  while (!queue.empty()) {
    const auto [t, u] = queue.top();
    queue.pop();
    if (t != time_of(u)) continue;  // a stale entry
    const Node& node = nodes_[u];
    for (const Exit& e : node.exits) on_exit(e.to, SaturatingAdd(t, e.latency));
    for (const Edge& e : node.edges) {
      SimTime next = SaturatingAdd(t, e.weight);
      if (!node.departure && nodes_[e.to].departure) {
        next = std::max(next, gate(e.to, node.port));
      }
      relax(e.to, next);
    }
  }
}

void ReactionGraph::EarliestDeliveries(PartitionId q, PendingVisitor pending, PromiseLookup promise,
                                       std::vector<SimTime>* out) {
  out->assign(partitions_, SimTime::Infinite());
  std::vector<std::pair<uint32_t, SimTime>> sources;
  pending([&](const Event& e) {
    const uint16_t ports = ports_[e.target];
    sources.emplace_back(first_node_[e.target] + (e.port == kSelfPort ? ports : e.port), e.time);
  });
  auto gate = [&](uint32_t departure, PortId arrival_port) {
    const Node& d = nodes_[departure];
    LivePromise live;
    if (!promise(d.component, d.port, &live)) return SimTime::Zero();
    if (live.lapses_on != kSelfPort && live.lapses_on == arrival_port) return SimTime::Zero();
    return live.until;
  };
  Search(sources, gate, [&](PartitionId to, SimTime t) { (*out)[to] = std::min((*out)[to], t); });
  (void)q;
}

}  // namespace strata::sim::internal
