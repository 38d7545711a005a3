// PHOLD: the standard synthetic benchmark of parallel discrete-event
// simulation (Fujimoto, "Performance of Time Warp under synthetic
// workloads", 1990). N logical processes (LPs) pass a fixed population of
// events; each event, on arrival, schedules one new event after
// lookahead + Exp(mean): to a uniformly chosen other LP with probability
// `remote_fraction`, otherwise to itself. The choice and the delay come from
// the LP's own random stream, so the run is the same on any partitioning.
#ifndef STRATA_SIM_PHOLD_PHOLD_H_
#define STRATA_SIM_PHOLD_PHOLD_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "strata/sim/component.h"
#include "strata/sim/simulation.h"

namespace strata::sim::phold {

struct PholdConfig {
  int lps = 1024;
  int events_per_lp = 16;
  double remote_fraction = 0.0;                    // [0, 1]
  SimTime lookahead = SimTime::Nanoseconds(1000);  // link latency between LPs, > 0
  SimTime mean_delay = SimTime::Nanoseconds(1000); // mean of the exponential part, >= 0
  // LPs per group: the partitioner keeps a group together. 0: every LP is
  // its own unit (spread round-robin by the balancer).
  int lps_per_group = 0;
};

// An LP. Ports: "net" (a mesh to every other LP). Statistics: events
// received. Digest: received count and an order-sensitive hash of every
// received (time, source, sequence), which proves the arrival order.
class PholdLp final : public Component {
 public:
  PholdLp(int index, const PholdConfig& config);
  void Init() override;
  void Handle(const Event& event) override;
  void AddToDigest(DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<Statistic>* out) const override;
  uint64_t received() const { return received_; }

 private:
  void SendNext();
  const int index_;
  const PholdConfig config_;
  const double mean_delay_ps_;
  PortId net_;
  uint64_t received_ = 0;
  uint64_t history_ = 0;
};

// Validates the config (errors name the field and the allowed range) and
// adds the LPs and their mesh to `sim`.
absl::Status BuildPhold(const PholdConfig& config, Simulation* sim);

}  // namespace strata::sim::phold

#endif  // STRATA_SIM_PHOLD_PHOLD_H_
