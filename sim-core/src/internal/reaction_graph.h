// ReactionGraph: lookahead from the models. Internal to sim-core.
//
// Link latencies alone give a partition's window: with 1-10 ns links
// between host, controller and flash, every window of an LLM job is a few
// nanoseconds wide, although a die never answers a read before its array
// time. Components say more about themselves (Component::DeclareReaction,
// Context::PromiseNoOutputBefore) and this graph turns it into bounds.
//
// Nodes are ports: arrival(c, i) for every port i of component c and its
// self "port" (Schedule()d events), departure(c, o) for every port o. Edges:
// arrival(c, i) -> departure(c, o) weighs c's reaction time for (i, o)
// (absent where it is infinite: "never"); departure -> arrival along links
// and meshes inside a partition weighs the link latency; a departure whose
// link leaves the partition is an exit towards the other side.
//  - Distance(r, p): the shortest path from anything arriving in partition
//    r to an arrival in p, through reactions, links and partitions between
//    (Floyd-Warshall over the per-pair minimum). Static: promises do not
//    count, they are conditional on the state of one moment.
//  - EarliestDeliveries(q): from q's pending events (each seeds its arrival
//    node at its time), Dijkstra over q's nodes to its exits, where a live
//    promise makes its departure node a gate: max(arrival + reaction,
//    promise), except for arrivals on the port the promise lapses on. The
//    gate keeps the order of times (it is monotone), so Dijkstra stays exact.
// Built only when some component declared a reaction or may promise; jobs
// that declare nothing (PHOLD) keep the plain link-latency table.
#ifndef STRATA_SIM_INTERNAL_REACTION_GRAPH_H_
#define STRATA_SIM_INTERNAL_REACTION_GRAPH_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "strata/sim/event.h"
#include "strata/sim/partitioner.h"
#include "strata/sim/simulation.h"
#include "strata/sim/time.h"

namespace strata::sim::internal {

class ReactionGraph {
 public:
  // A component's live promise on one port, as the synchronizer reads it.
  struct LivePromise {
    SimTime until;
    PortId lapses_on;  // kSelfPort: never lapses
  };
  // Looks up (component, port)'s live promise; false when it has none.
  using PromiseLookup = absl::FunctionRef<bool(ComponentId, PortId, LivePromise*)>;
  using PendingVisitor = absl::FunctionRef<void(absl::FunctionRef<void(const Event&)>)>;

  // Errors: INVALID_ARGUMENT naming the component for a reaction on an
  // undeclared port or a negative reaction. Null when nothing is declared.
  static absl::StatusOr<std::unique_ptr<ReactionGraph>> Build(const Simulation& sim, const PartitionPlan& plan);

  int partitions() const { return partitions_; }
  // Shortest path from an arrival in `from` to an arrival in `to`.
  SimTime Distance(PartitionId from, PartitionId to) const { return distance_[from * partitions_ + to]; }
  // out[r] = the earliest time anything partition q holds now (pending
  // events, live promises) can arrive in partition r, given no new input
  // from outside q; Infinite() where nothing can. out has partitions().
  void EarliestDeliveries(PartitionId q, PendingVisitor pending, PromiseLookup promise, std::vector<SimTime>* out);

 private:
  struct Edge {
    uint32_t to;
    SimTime weight;
    PortId arrival_port;  // arrival -> departure edges: the arrival's port (for lapses)
  };
  struct Exit {
    PartitionId to;
    SimTime latency;
  };
  struct Node {
    ComponentId component;
    PortId port;       // kSelfPort for the self arrival
    bool departure;
    std::vector<Edge> edges;
    std::vector<Exit> exits;  // departures only: links that leave the partition
  };
  ReactionGraph() = default;
  // Shortest paths from `sources` (node, time) inside one partition,
  // applying `promise` gates if given; calls `on_exit` for each exit reached.
  template <typename Gate, typename OnExit>
  void Search(const std::vector<std::pair<uint32_t, SimTime>>& sources, Gate gate, OnExit on_exit);

  int partitions_ = 1;
  std::vector<Node> nodes_;
  std::vector<uint32_t> first_node_;  // by component: its arrival nodes, then its departures
  std::vector<uint16_t> ports_;       // by component
  std::vector<SimTime> distance_;
  // Scratch for Search (one partition thread uses its own graph copy? no:
  // searches of different partitions touch disjoint nodes, and each
  // partition's thread searches only its own, so per-node scratch is safe).
  std::vector<SimTime> time_;
  std::vector<uint32_t> touched_generation_;
  std::vector<uint32_t> generation_by_partition_;
  std::vector<PartitionId> partition_of_node_;
};

}  // namespace strata::sim::internal

#endif  // STRATA_SIM_INTERNAL_REACTION_GRAPH_H_
