// Simulation: the component graph of one run (components and the links
// between their ports), checked before time zero.
#ifndef STRATA_SIM_SIMULATION_H_
#define STRATA_SIM_SIMULATION_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "strata/sim/component.h"

namespace strata::sim {

// One end of a link: a component and one of its ports, by name.
struct Endpoint {
  ComponentId component;
  std::string port;
};

// A bidirectional point-to-point link: a message sent on either port
// arrives at the other after `latency`.
struct Link {
  ComponentId a;
  PortId a_port;
  ComponentId b;
  PortId b_port;
  SimTime latency;
};

// A fabric of uniform latency joining each member's port to every other
// member's: the sender picks the member (Context::SendTo). It stands for a
// switch or crossbar and keeps all-to-all models (PHOLD) at O(N) memory.
struct Mesh {
  std::vector<std::pair<ComponentId, PortId>> members;
  SimTime latency;
};

class Simulation {
 public:
  Simulation() = default;
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Adds a component. `group` is a partitioning affinity key: components
  // with the same non-empty group always share a partition (e.g. the dies of
  // one channel). Returns the component's id, dense from 0 in order of adding.
  ComponentId Add(std::unique_ptr<Component> component, std::string group = "");

  template <typename T, typename... Args>
  T* Emplace(std::string group, Args&&... args) {
    auto owned = std::make_unique<T>(std::forward<Args>(args)...);
    T* raw = owned.get();
    Add(std::move(owned), std::move(group));
    return raw;
  }

  // Links two ports. Errors name the component and port: unknown port,
  // port already linked, negative latency.
  absl::Status Connect(const Endpoint& a, const Endpoint& b, SimTime latency);
  absl::Status Connect(ComponentId a, std::string_view a_port, ComponentId b, std::string_view b_port,
                       SimTime latency) {
    return Connect(Endpoint{a, std::string(a_port)}, Endpoint{b, std::string(b_port)}, latency);
  }
  // Joins the members' ports into one mesh of `latency` (> 0).
  absl::Status ConnectMesh(const std::vector<Endpoint>& members, SimTime latency);

  // Checks the graph is complete: every declared port is linked. The error
  // names the first unconnected "component.port".
  absl::Status Validate() const;

  size_t size() const { return components_.size(); }
  Component& component(ComponentId id) { return *components_[id]; }
  const Component& component(ComponentId id) const { return *components_[id]; }
  const std::string& group(ComponentId id) const { return groups_[id]; }
  const std::vector<Link>& links() const { return links_; }
  const std::vector<Mesh>& meshes() const { return meshes_; }
  // "name.port" for error messages.
  std::string PortLabel(ComponentId id, PortId port) const;

  // Where each (component, port) is bound: a link index, a mesh index, or none.
  struct PortUse {
    enum Kind : uint8_t { kNone, kLink, kMesh } kind = kNone;
    uint32_t index = 0;
  };
  const PortUse& port_use(ComponentId id, PortId port) const { return port_uses_[id][port]; }

  // A run consumes the components' state; a second run is refused.
  bool consumed() const { return consumed_; }
  void MarkConsumed() { consumed_ = true; }

 private:
  absl::StatusOr<PortId> ResolvePort(const Endpoint& e) const;
  std::vector<std::unique_ptr<Component>> components_;
  std::vector<std::string> groups_;
  std::vector<std::vector<PortUse>> port_uses_;
  std::vector<Link> links_;
  std::vector<Mesh> meshes_;
  bool consumed_ = false;
};

}  // namespace strata::sim

#endif  // STRATA_SIM_SIMULATION_H_
