// Partitioner: assigns components to partitions.
//
// Components that share a non-empty group key stay together (the dies of a
// channel, the layers of a host); groups and ungrouped components are then
// spread by weight with the longest-processing-time rule, so each partition
// gets a similar load. The assignment depends only on the graph and the
// partition count, never on hash order or threads.
#ifndef STRATA_SIM_PARTITIONER_H_
#define STRATA_SIM_PARTITIONER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "strata/sim/event.h"
#include "strata/sim/simulation.h"

namespace strata::sim {

inline constexpr int kMaxPartitions = 256;

struct PartitionPlan {
  int partition_count = 1;
  std::vector<PartitionId> partition_of;  // by ComponentId
};

// `weights` (by component id, or empty) replaces each component's
// PartitionWeight(): a pilot run's events per component
// (RunResult::events_by_component) balance the work actually done.
// Errors: partitions outside [1, kMaxPartitions]; weights of the wrong size.
absl::StatusOr<PartitionPlan> PartitionByGroup(const Simulation& sim, int partitions,
                                               const std::vector<double>& weights = {});

// Groups and ungrouped components: the most partitions a plan can fill.
int PartitionUnits(const Simulation& sim);

// Smallest link or mesh latency from partition i to partition j (i != j);
// SimTime::Infinite() where no link joins them. This is the lookahead.
class LookaheadTable {
 public:
  LookaheadTable(const Simulation& sim, const PartitionPlan& plan);
  SimTime Get(PartitionId from, PartitionId to) const { return table_[from * count_ + to]; }
  // Shortest path from `from` to `to` over the lookahead graph (0 from a
  // partition to itself; Infinite() where no path joins them): the
  // earliest an event at `from` can cause anything at `to`, through any
  // partitions between. Window sync bounds each partition by it.
  SimTime Distance(PartitionId from, PartitionId to) const { return distance_[from * count_ + to]; }
  int count() const { return count_; }

 private:
  int count_;
  std::vector<SimTime> table_;
  std::vector<SimTime> distance_;
};

// Rejects cross-partition links and meshes of zero latency, naming both ends:
// a zero lookahead would make conservative synchronisation impossible.
absl::Status CheckCrossPartitionLatency(const Simulation& sim, const PartitionPlan& plan);

}  // namespace strata::sim

#endif  // STRATA_SIM_PARTITIONER_H_
