// Synchronizer: the conservative protocol that tells a partition how far it
// may run. Two implementations, one interface; the partition loop is
//   while (auto bound = sync.NextBound()) core.ProcessBefore(*bound);
#ifndef STRATA_SIM_INTERNAL_SYNCHRONIZER_H_
#define STRATA_SIM_INTERNAL_SYNCHRONIZER_H_

#include <memory>
#include <optional>

#include "strata/sim/engine.h"
#include "strata/sim/partitioner.h"
#include "strata/sim/transport.h"
#include "src/internal/partition_core.h"
#include "src/internal/reaction_graph.h"

namespace strata::sim::internal {

class Synchronizer {
 public:
  virtual ~Synchronizer() = default;
  // Sends what the partition produced, takes in what arrived, and returns
  // the exclusive time bound for the next batch of events; nullopt when this
  // partition is finished (or the run aborted: see core.failed()).
  virtual std::optional<SimTime> NextBound() = 0;
};

// `reactions` (null when no component declared any) sharpens window sync
// with lookahead from the models; null-message sync uses link latencies.
std::unique_ptr<Synchronizer> MakeSynchronizer(SyncAlgorithm algorithm, PartitionCore& core,
                                               Transport& transport, const LookaheadTable& lookahead,
                                               ReactionGraph* reactions, SimTime end_time);

}  // namespace strata::sim::internal

#endif  // STRATA_SIM_INTERNAL_SYNCHRONIZER_H_
