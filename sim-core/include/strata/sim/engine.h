// Engine: runs a Simulation to its end on 1..N partitions.
//
// One partition runs a sequential event loop. N partitions run on N threads
// over an InProcessTransport, synchronised conservatively by one of two
// algorithms behind one interface (internal/synchronizer.h):
//  - kWindow: YAWNS-style windows. At each barrier all partitions learn
//    every partition's earliest pending event (events in flight count at
//    their destination); each then runs below the earliest time anything
//    another partition holds could reach it along the lookahead graph, and
//    stops early before an answer to its own sends could return. With one
//    uniform lookahead L that is at least [T, T + L), T the global minimum;
//    a partition whose peers are idle runs on to its next send.
//  - kNullMessage: Chandy-Misra-Bryant. Each partition promises each
//    neighbour j that it will send nothing earlier than (its own lower bound
//    + lookahead to j), and processes events below the smallest promise it
//    holds.
// Models cannot tell which engine or algorithm runs them, and the result
// (digest) is the same for all of them.
#ifndef STRATA_SIM_ENGINE_H_
#define STRATA_SIM_ENGINE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "strata/sim/event_set.h"
#include "strata/sim/partitioner.h"
#include "strata/sim/simulation.h"
#include "strata/sim/time.h"

namespace strata::sim {

enum class SyncAlgorithm { kWindow, kNullMessage };
absl::StatusOr<SyncAlgorithm> ParseSyncAlgorithm(std::string_view name);  // "window" | "null"
std::string_view SyncAlgorithmName(SyncAlgorithm sync);

// Kernel statistics of one partition.
struct PartitionStats {
  int partition = 0;
  uint64_t components = 0;
  uint64_t committed_events = 0;
  uint64_t remote_events_sent = 0;   // events that crossed to another partition
  uint64_t messages_sent = 0;        // batches, including null messages
  uint64_t null_messages_sent = 0;   // messages that carried only a promise
  uint64_t windows = 0;              // window rounds (kWindow)
  uint64_t recoveries = 0;           // null-message deadlock recoveries (kNullMessage)
  uint64_t peak_pending_events = 0;
  uint64_t event_set_bytes = 0;      // at the end of the run
  double wall_seconds = 0;
  double blocked_seconds = 0;        // waiting for peers: barriers, promises
  SimTime local_time;                // time of its last committed event
  double committed_events_per_second() const {
    return wall_seconds > 0 ? static_cast<double>(committed_events) / wall_seconds : 0;
  }
};

// A live view while the run goes on, taken on a wall-clock interval.
struct ProgressSnapshot {
  SimTime simulated_time;  // smallest local time over partitions
  uint64_t committed_events = 0;
  double wall_seconds = 0;
  std::vector<PartitionStats> partitions;  // fields updated live: events, time, nulls, windows
};

// Receives kernel figures live (every progress_interval) and once at the
// end. Services export them to Prometheus; `strata-phold` prints them.
// Called from a monitor thread.
class MetricsSink {
 public:
  virtual ~MetricsSink() = default;
  virtual void OnProgress(const ProgressSnapshot& snapshot) = 0;
};

struct RunOptions {
  // Events at or after end_time are not executed. Infinite(): run until no
  // event is pending anywhere.
  SimTime end_time = SimTime::Infinite();
  int partitions = 1;
  SyncAlgorithm sync = SyncAlgorithm::kWindow;
  uint64_t seed = 1;
  EventSetKind event_set = EventSetKind::kQuaternaryHeap;
  // Overrides PartitionByGroup when set (partition_count must match).
  std::optional<PartitionPlan> plan;
  // Live progress: called every progress_interval of wall time, and once
  // more when the run ends.
  std::function<void(const ProgressSnapshot&)> on_progress;
  MetricsSink* metrics = nullptr;
  absl::Duration progress_interval = absl::Seconds(1);
  // Live model state: called on each partition's own thread, between
  // events, at most every sample_interval of wall time and once more when
  // the partition stops, with the partition and its components' ids. The
  // one safe moment to read those components while the run goes on (a
  // monitor thread must not: they change under it).
  std::function<void(PartitionId, const std::vector<ComponentId>&)> on_sample;
  absl::Duration sample_interval = absl::Seconds(1);
  // Set to true (from any thread) to stop the run: it returns CANCELLED
  // within a few thousand events per partition.
  const std::atomic<bool>* cancel = nullptr;
  // A pilot run: stop once this many events have run (at the first
  // multiple of 4096 at or past it), with events still pending, and
  // report RunResult::stopped. 0: run to the end. One partition only, so
  // where it stops is a pure function of the job.
  uint64_t stop_after_events = 0;
};

// What keeping a run's partitions in step cost, from their statistics.
struct SyncCost {
  uint64_t windows = 0;          // window rounds (each partition counts every one)
  uint64_t null_messages = 0;    // sent in all
  uint64_t messages = 0;         // batches sent in all, null messages included
  double blocked_fraction = 0;   // of the partitions' summed wall time, waiting for peers
};
SyncCost SyncCostOf(const std::vector<PartitionStats>& partitions);

struct RunResult {
  SimTime final_time;           // time of the last committed event
  uint64_t committed_events = 0;
  // Hash over every component's digest (in id order), final_time and
  // committed_events: equal digests mean equal runs.
  uint64_t digest = 0;
  double wall_seconds = 0;
  SyncAlgorithm sync = SyncAlgorithm::kWindow;
  std::vector<PartitionStats> partitions;
  // Events each component handled, by id: the load a partition planner
  // balances (PartitionByGroup's weights).
  std::vector<uint64_t> events_by_component;
  // True when stop_after_events ended the run with events pending.
  bool stopped = false;
  std::string digest_hex() const;
  double committed_events_per_second() const {
    return wall_seconds > 0 ? static_cast<double>(committed_events) / wall_seconds : 0;
  }
};

// Validates the graph (unconnected ports, zero-latency cross-partition links,
// options) before time zero, then runs. Errors: INVALID_ARGUMENT for a bad
// graph or option (naming it), FAILED_PRECONDITION for a consumed Simulation,
// whatever status a model passed to Context::Fail, INTERNAL for a causality
// violation (naming component, port and both times), CANCELLED when
// options.cancel was set.
absl::StatusOr<RunResult> Run(Simulation& sim, const RunOptions& options);

// Runs some of a plan's partitions in this process, exchanging events with
// the others through `transport`; the rest run elsewhere (other processes
// or machines) against the same transport. The distributed service runs
// one of these per process; Run() is one with every partition local.
//   auto runner = PartitionRunner::Create(sim, options, plan, {2, 3});
//   runner->Run(transport);                 // until the run ends everywhere
//   // agree on the global final time (max over every process), then:
//   runner->FinishAndDigest(global_final_time);
class Transport;
class PartitionRunner {
 public:
  static absl::StatusOr<std::unique_ptr<PartitionRunner>> Create(Simulation& sim, const RunOptions& options,
                                                                 const PartitionPlan& plan,
                                                                 const std::vector<PartitionId>& local);
  ~PartitionRunner();
  // Runs the local partitions (one thread each) to the end of the run.
  absl::Status Run(Transport& transport);
  std::vector<PartitionStats> stats() const;
  SimTime local_final_time() const;           // latest event committed here
  uint64_t local_committed_events() const;
  // Events each local component handled: (id, events) in id order.
  std::vector<std::pair<ComponentId, uint64_t>> local_events_by_component() const;
  bool stopped() const;  // a local partition hit stop_after_events
  // Calls Finish on the local components with clocks at `global_final_time`
  // and returns (component id, digest) in id order. CombineDigest of every
  // process's pairs, in id order, gives the run's digest.
  std::vector<std::pair<ComponentId, uint64_t>> FinishAndDigest(SimTime global_final_time);

 private:
  struct State;
  PartitionRunner(Simulation& sim, const RunOptions& options);
  Simulation& sim_;
  RunOptions options_;
  std::unique_ptr<State> state_;
  std::vector<ComponentId> local_components_;
};

// Resolves options.plan or partitions the graph by group.
absl::StatusOr<PartitionPlan> ResolvePlan(const Simulation& sim, const RunOptions& options);

// Combines per-component digests (in id order) with the run's end state.
uint64_t CombineDigest(const std::vector<uint64_t>& component_digests, SimTime final_time,
                       uint64_t committed_events);

}  // namespace strata::sim

#endif  // STRATA_SIM_ENGINE_H_
