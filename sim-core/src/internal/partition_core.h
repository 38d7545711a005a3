// PartitionCore: one partition's components, clock, pending-event set and
// outboxes. It runs events strictly in EventBefore order below a bound that
// its synchronizer grants. Internal to sim-core.
#ifndef STRATA_SIM_INTERNAL_PARTITION_CORE_H_
#define STRATA_SIM_INTERNAL_PARTITION_CORE_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "strata/sim/component.h"
#include "strata/sim/engine.h"
#include "strata/sim/event_set.h"
#include "strata/sim/simulation.h"

namespace strata::sim::internal {

inline constexpr uint32_t kNoMesh = 0xFFFFFFFF;
// The arrival port while no event is being handled (Init): no reaction applies.
inline constexpr PortId kNoArrival = 0xFFFE;

// Where a port's events go. Built once before time zero.
struct PortBinding {
  SimTime latency;
  ComponentId target = 0;
  PortId target_port = 0;
  PartitionId target_partition = 0;
  uint32_t mesh = kNoMesh;
};

struct MeshMember {
  ComponentId component;
  PortId port;
  PartitionId partition;
};
struct MeshRuntime {
  SimTime latency;
  std::vector<MeshMember> members;
};

// Figures the monitor thread reads while the run goes on.
struct LiveStats {
  std::atomic<uint64_t> committed{0};
  std::atomic<int64_t> local_time_ps{0};
  std::atomic<uint64_t> null_messages{0};
  std::atomic<uint64_t> windows{0};
  std::atomic<uint64_t> blocked_ns{0};
  std::atomic<uint64_t> floors{0};  // null-message deadlock recoveries
};

class PartitionCore {
 public:
  PartitionCore(PartitionId self, int partition_count, EventSetKind kind, const Simulation& sim,
                const std::vector<MeshRuntime>* meshes);

  // Takes a component into this partition with its port bindings and
  // random stream. Called in id order before Init.
  void Adopt(Component* component, std::vector<PortBinding> bindings, uint64_t seed);
  // Calls Init on every local component at time zero, in id order.
  void InitComponents();
  // Runs every event with time < bound, and, when return distances are
  // set, stops early before the first time an answer to anything this
  // batch sent could come back. False when the run must stop.
  bool ProcessBefore(SimTime bound);
  // Window sync: per partition q, the shortest lookahead path from q back
  // to this partition. An event sent to q at time t can cause nothing here
  // before t + distance[q], so a batch may run on until then: a partition
  // whose peers are idle runs to its next send instead of one lookahead.
  void SetReturnDistances(std::vector<SimTime> distance) { return_distance_ = std::move(distance); }

  // Routes an event: into the local set or an outbox.
  void Deliver(const Event& event, PartitionId partition) {
    if (partition == self_) {
      set_->Push(event);
      if (++pending_ > stats_.peak_pending_events) stats_.peak_pending_events = pending_;
    } else {
      outboxes_[partition].push_back(event);
      ++stats_.remote_events_sent;
      if (!return_distance_.empty()) {
        echo_limit_ = std::min(echo_limit_, SaturatingAdd(event.time, return_distance_[partition]));
      }
    }
  }
  // Accepts events from another partition; checks they are not in the past.
  bool AcceptRemote(const std::vector<Event>& events);

  void Fail(absl::Status status);
  void CausalityViolation(ComponentId component, PortId port, SimTime when);
  // A send or schedule sooner than a declared reaction or a live promise.
  void DeclaredBoundViolation(ComponentId component, PortId port, SimTime when, const char* what,
                              SimTime bound);
  // The port the event being handled arrived on (kNoArrival in Init).
  PortId current_port() const { return current_port_; }
  // Lookahead from the models: visits pending events; reads live promises.
  void ForEachPending(absl::FunctionRef<void(const Event&)> visit) const { set_->ForEach(visit); }
  bool LivePromise(ComponentId component, PortId port, SimTime* until, PortId* lapses_on) const;
  const absl::Status& status() const { return status_; }
  bool failed() const { return failed_; }

  PartitionId self() const { return self_; }
  SimTime now() const { return now_; }
  void set_now(SimTime t) { now_ = t; }
  SimTime NextTime() const { return set_->NextTime(); }
  SimTime last_event_time() const { return last_event_time_; }
  std::vector<std::vector<Event>>& outboxes() { return outboxes_; }
  const MeshRuntime& mesh(uint32_t index) const { return (*meshes_)[index]; }
  PartitionStats& stats() { return stats_; }
  LiveStats& live() { return live_; }
  const std::vector<ComponentId>& local_components() const { return local_ids_; }
  void Publish();  // copies counters into live(); checks for cancellation
  void set_cancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }
  // RunOptions::stop_after_events: ProcessBefore stops at the first
  // multiple of 4096 events at or past `events`, and stopped() turns true.
  void set_stop_after_events(uint64_t events) { stop_after_events_ = events == 0 ? UINT64_MAX : events; }
  bool stopped() const { return stopped_; }
  // Events a local component has handled so far (0 if not local).
  uint64_t HandledEvents(ComponentId id) const;
  // RunOptions::on_sample, called from Publish when `interval` has passed
  // since the last call; Sample() calls it now (the final sample).
  void set_sampler(const std::function<void(PartitionId, const std::vector<ComponentId>&)>* sampler,
                   std::chrono::nanoseconds interval) {
    sampler_ = sampler;
    sample_interval_ = interval;
  }
  void Sample();
  void FinalizeStats(double wall_seconds);

 private:
  PartitionId self_;
  const Simulation& sim_;
  const std::vector<MeshRuntime>* meshes_;
  std::unique_ptr<PendingEventSet> set_;
  std::vector<Component*> by_id_;  // indexed by global id; null if not local
  std::vector<ComponentId> local_ids_;
  std::vector<std::unique_ptr<Context>> contexts_;
  std::vector<std::vector<PortBinding>> bindings_;
  std::vector<std::vector<SimTime>> reaction_tables_;  // by local index; empty when none declared
  PortId current_port_ = kNoArrival;
  std::vector<std::vector<Event>> outboxes_;
  std::vector<SimTime> return_distance_;         // empty: no early stop
  SimTime echo_limit_ = SimTime::Infinite();    // this batch's early stop
  SimTime now_;
  SimTime last_event_time_;
  uint64_t committed_ = 0;
  uint64_t pending_ = 0;
  bool failed_ = false;
  const std::atomic<bool>* cancel_ = nullptr;
  uint64_t stop_after_events_ = UINT64_MAX;
  bool stopped_ = false;
  const std::function<void(PartitionId, const std::vector<ComponentId>&)>* sampler_ = nullptr;
  std::chrono::nanoseconds sample_interval_{0};
  std::chrono::steady_clock::time_point next_sample_{};
  absl::Status status_;
  PartitionStats stats_;
  LiveStats live_;
};

}  // namespace strata::sim::internal

#endif  // STRATA_SIM_INTERNAL_PARTITION_CORE_H_
