#include "plan_checked_transport.h"

#include "absl/strings/str_cat.h"

namespace strata::partition {

absl::Status CheckIncomingBatch(const sim::PartitionMessage& m, sim::PartitionId self, const sim::Simulation& sim,
                                const sim::PartitionPlan& plan) {
  const auto partitions = static_cast<size_t>(plan.partition_count);
  if (m.to != self) {
    return absl::InvalidArgumentError(
        absl::StrCat("a batch for partition ", m.to, " arrived at partition ", self));
  }
  if (m.from >= partitions || m.from == self) {
    return absl::InvalidArgumentError(absl::StrCat("a batch at partition ", self, " claims to come from partition ",
                                                   m.from, "; allowed: another of the plan's ", partitions));
  }
  const size_t components = sim.size();
  for (size_t i = 0; i < m.events.size(); ++i) {
    const sim::Event& e = m.events[i];
    auto refuse = [&](const std::string& what) {
      return absl::InvalidArgumentError(
          absl::StrCat("event ", i, " of a batch from partition ", m.from, " to ", self, ": ", what));
    };
    if (e.target >= components || plan.partition_of[e.target] != self) {
      return refuse(absl::StrCat("target component ", e.target, " is not in partition ", self, " of the loaded plan (",
                                 components, " components)"));
    }
    if (e.port >= sim.component(e.target).port_names().size()) {
      return refuse(absl::StrCat("port ", e.port, " is not a port of component ", e.target));
    }
    if (e.source() >= components || plan.partition_of[e.source()] != m.from) {
      return refuse(absl::StrCat("source component ", e.source(), " is not in partition ", m.from,
                                 " of the loaded plan"));
    }
  }
  return absl::OkStatus();
}

void PlanCheckedTransport::Receive(sim::PartitionId self, std::vector<sim::PartitionMessage>* out) {
  const size_t first = out->size();
  inner_.Receive(self, out);
  for (size_t i = first; i < out->size(); ++i) {
    absl::Status s = CheckIncomingBatch((*out)[i], self, sim_, plan_);
    if (s.ok()) continue;
    out->resize(first);  // none of it reaches the kernel
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (refusal_.ok()) refusal_ = std::move(s);
    }
    inner_.Abort();  // the next Wait or AllReduceMin ends the run
    return;
  }
}

absl::Status PlanCheckedTransport::refusal() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refusal_;
}

}  // namespace strata::partition
