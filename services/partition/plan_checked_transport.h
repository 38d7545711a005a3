// PlanCheckedTransport: checks every batch a partition receives against
// the plan it loaded before the kernel touches it. A batch arrives from
// another process (the coordinator's hub or a peer service) and the kernel
// indexes its components, ports and partitions by the ids inside it: an id
// outside the loaded graph was a SIGSEGV. A batch is refused unless it is
// addressed to the receiving partition, comes from another partition of
// the plan, and each event's target is a component of the receiving
// partition with that port and its source a component of the sender's.
// A refused batch aborts the run (everywhere) and Run reports why.
#ifndef STRATA_PARTITION_PLAN_CHECKED_TRANSPORT_H_
#define STRATA_PARTITION_PLAN_CHECKED_TRANSPORT_H_

#include <mutex>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "strata/sim/partitioner.h"
#include "strata/sim/simulation.h"
#include "strata/sim/transport.h"

namespace strata::partition {

// OK, or INVALID_ARGUMENT saying which id of `m` does not fit.
absl::Status CheckIncomingBatch(const sim::PartitionMessage& m, sim::PartitionId self, const sim::Simulation& sim,
                                const sim::PartitionPlan& plan);

class PlanCheckedTransport final : public sim::Transport {
 public:
  // `inner`, `sim` and `plan` outlive this.
  PlanCheckedTransport(sim::Transport& inner, const sim::Simulation& sim, const sim::PartitionPlan& plan)
      : inner_(inner), sim_(sim), plan_(plan) {}
  int partition_count() const override { return inner_.partition_count(); }
  void Send(sim::PartitionMessage message) override { inner_.Send(std::move(message)); }
  // Passes on what `inner` received if every batch fits the plan; else
  // passes on nothing, records the first refusal and aborts the run.
  void Receive(sim::PartitionId self, std::vector<sim::PartitionMessage>* out) override;
  sim::WaitResult Wait(sim::PartitionId self, sim::SimTime next_event, sim::SimTime* floor) override {
    return inner_.Wait(self, next_event, floor);
  }
  std::optional<std::vector<sim::SimTime>> AllReduceMin(sim::PartitionId self,
                                                        std::vector<sim::SimTime> values) override {
    return inner_.AllReduceMin(self, std::move(values));
  }
  void Leave(sim::PartitionId self) override { inner_.Leave(self); }
  void Abort() override { inner_.Abort(); }
  // The first refused batch's reason, or OK.
  absl::Status refusal() const;

 private:
  sim::Transport& inner_;
  const sim::Simulation& sim_;
  const sim::PartitionPlan& plan_;
  mutable std::mutex mu_;
  absl::Status refusal_;
};

}  // namespace strata::partition

#endif  // STRATA_PARTITION_PLAN_CHECKED_TRANSPORT_H_
