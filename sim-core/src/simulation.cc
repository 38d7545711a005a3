#include "strata/sim/simulation.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace strata::sim {

ComponentId Simulation::Add(std::unique_ptr<Component> component, std::string group) {
  const auto id = static_cast<ComponentId>(components_.size());
  component->id_ = id;
  port_uses_.emplace_back(component->port_names().size());
  components_.push_back(std::move(component));
  groups_.push_back(std::move(group));
  return id;
}

std::string Simulation::PortLabel(ComponentId id, PortId port) const {
  const Component& c = *components_[id];
  if (port == kSelfPort) return absl::StrCat(c.name(), ".<self>");
  return absl::StrCat(c.name(), ".", port < c.port_names().size() ? c.port_names()[port] : "?");
}

absl::StatusOr<PortId> Simulation::ResolvePort(const Endpoint& e) const {
  if (e.component >= components_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("component id ", e.component, " does not exist (", components_.size(), " components)"));
  }
  const Component& c = *components_[e.component];
  const int port = c.FindPort(e.port);
  if (port < 0) {
    return absl::InvalidArgumentError(absl::StrCat("component '", c.name(), "' has no port '", e.port,
                                                   "' (its ports: ", absl::StrJoin(c.port_names(), ", "), ")"));
  }
  if (port_uses_[e.component][port].kind != PortUse::kNone) {
    return absl::InvalidArgumentError(absl::StrCat("port '", c.name(), ".", e.port, "' is already connected"));
  }
  return static_cast<PortId>(port);
}

absl::Status Simulation::Connect(const Endpoint& a, const Endpoint& b, SimTime latency) {
  auto pa = ResolvePort(a);
  if (!pa.ok()) return pa.status();
  if (a.component == b.component && a.port == b.port) {
    return absl::InvalidArgumentError(absl::StrCat("link from '", PortLabel(a.component, *pa), "' to itself"));
  }
  auto pb = ResolvePort(b);
  if (!pb.ok()) return pb.status();
  if (latency < SimTime::Zero()) {
    return absl::InvalidArgumentError(absl::StrCat("link ", PortLabel(a.component, *pa), " <-> ",
                                                   PortLabel(b.component, *pb), ": latency ", latency.ToString(),
                                                   " is negative; allowed: >= 0"));
  }
  const auto index = static_cast<uint32_t>(links_.size());
  links_.push_back(Link{a.component, *pa, b.component, *pb, latency});
  port_uses_[a.component][*pa] = PortUse{PortUse::kLink, index};
  port_uses_[b.component][*pb] = PortUse{PortUse::kLink, index};
  return absl::OkStatus();
}

absl::Status Simulation::ConnectMesh(const std::vector<Endpoint>& members, SimTime latency) {
  if (latency <= SimTime::Zero()) {
    return absl::InvalidArgumentError(
        absl::StrCat("mesh latency ", latency.ToString(), " is not positive; allowed: > 0"));
  }
  Mesh mesh{{}, latency};
  mesh.members.reserve(members.size());
  for (const Endpoint& e : members) {
    auto port = ResolvePort(e);
    if (!port.ok()) return port.status();
    mesh.members.emplace_back(e.component, *port);
  }
  const auto index = static_cast<uint32_t>(meshes_.size());
  for (const auto& [id, port] : mesh.members) {
    if (port_uses_[id][port].kind != PortUse::kNone) {
      return absl::InvalidArgumentError(absl::StrCat("port '", PortLabel(id, port), "' appears twice in a mesh"));
    }
    port_uses_[id][port] = PortUse{PortUse::kMesh, index};
  }
  meshes_.push_back(std::move(mesh));
  return absl::OkStatus();
}

absl::Status Simulation::Validate() const {
  if (components_.size() >= kMaxComponents) {
    return absl::InvalidArgumentError(
        absl::StrCat("the graph has ", components_.size(), " components; allowed: < ", kMaxComponents));
  }
  for (ComponentId id = 0; id < components_.size(); ++id) {
    for (PortId p = 0; p < port_uses_[id].size(); ++p) {
      if (port_uses_[id][p].kind == PortUse::kNone) {
        return absl::InvalidArgumentError(absl::StrCat("port '", PortLabel(id, p), "' is not connected"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::sim
