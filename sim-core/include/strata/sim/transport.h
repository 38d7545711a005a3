// Transport: how partitions exchange events and time promises.
//
// The kernel talks to other partitions only through this interface, so a
// partition loop runs unchanged whether its peers are threads in this
// process (InProcessTransport) or processes on other machines (a gRPC
// transport in services/coordinator). The contract an implementation keeps:
//  1. Messages between one pair of partitions arrive in the order sent.
//  2. AllReduceMin (elementwise, over vectors) is a barrier: a message sent before a partition entered it
//     is receivable by its destination once AllReduceMin returns there.
//  3. Wait blocks until a message arrives (kMessage) or the partitions are
//     stuck: every live partition is either idle (no pending events, and
//     none received since it said so) or blocked inside Wait, and no message
//     carrying events is in flight. Then the smallest next-event time among
//     the blocked partitions, T, is the true global minimum: if it is
//     infinite the run is over (kQuiescent); otherwise each blocked partition
//     gets kFloor with T, and may take T + lookahead(q -> self) as input q's
//     promise (Chandy-Misra deadlock recovery). This keeps null messages from
//     creeping forward one small lookahead at a time when events are far
//     apart, and null messages alone never keep a finished run alive.
//  4. Abort wakes every blocked call, which then reports the abort, so one
//     partition's error cannot leave the others waiting forever.
#ifndef STRATA_SIM_TRANSPORT_H_
#define STRATA_SIM_TRANSPORT_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "strata/sim/event.h"
#include "strata/sim/time.h"

namespace strata::sim {

// Events from one partition to another, plus the sender's promise that no
// later message on this pair will carry an event earlier than `promise`.
// A message with no events is a null message.
struct PartitionMessage {
  PartitionId from = 0;
  PartitionId to = 0;
  SimTime promise = SimTime::Zero();
  std::vector<Event> events;
};

// Raw-byte form of a batch for wire transports: a fixed header and the
// events' bytes as they are in memory. No per-event encoding.
std::vector<std::byte> EncodeBatch(const PartitionMessage& message);
bool DecodeBatch(const std::byte* data, size_t size, PartitionMessage* out);

enum class WaitResult { kMessage, kFloor, kQuiescent, kAborted };

class Transport {
 public:
  virtual ~Transport() = default;
  virtual int partition_count() const = 0;
  virtual void Send(PartitionMessage message) = 0;
  // Appends every message waiting for `self` to *out; never blocks.
  virtual void Receive(PartitionId self, std::vector<PartitionMessage>* out) = 0;
  // Blocks per contract 3. `next_event` is the time of self's earliest
  // pending event (Infinite() when idle); on kFloor, *floor is T.
  virtual WaitResult Wait(PartitionId self, SimTime next_event, SimTime* floor) = 0;
  // Elementwise minimum of every live partition's `values` (one length for
  // all); a barrier (contract 2). Returns nullopt if the run was aborted.
  virtual std::optional<std::vector<SimTime>> AllReduceMin(PartitionId self, std::vector<SimTime> values) = 0;
  // `self` has finished; it takes no further part and counts as idle.
  // Messages still addressed to it are dropped.
  virtual void Leave(PartitionId self) = 0;
  // Stops the run everywhere (contract 4).
  virtual void Abort() = 0;
};

// How long a partition thread spins before it parks in a barrier or a
// Wait. Spinning keeps a window under a microsecond between threads on
// dedicated cores (a futex wake-up costs several microseconds); parking
// after the bound keeps an oversubscribed machine (more partitions than
// cores) making progress, since a spinner would only steal the core of the
// partition it waits for.
// Yielding is no middle step: under load a yield can lose the core for a
// whole scheduler slice, far longer than parking and a futex wake-up.
struct SpinPolicy {
  int64_t spin_ns = 0;  // busy-wait (with a CPU pause) at most this long
  // Spins only when every partition has a core of its own: `partitions`
  // threads on std::thread::hardware_concurrency() cores.
  static SpinPolicy For(int partitions);
  static SpinPolicy Never() { return {}; }
};

// Threads in one process: a mailbox per partition, each with its own lock,
// taken per batch, not per event; a mailbox's message count is also kept in
// an atomic, so an empty Receive takes no lock. One more mutex guards what
// stuck detection (null messages) reads. AllReduceMin is a
// lock-free generation barrier: each partition writes its vector into its
// own slot, the last to arrive takes the minimum and opens the next
// generation; the others spin, then park (SpinPolicy).
class InProcessTransport final : public Transport {
 public:
  explicit InProcessTransport(int partitions, SpinPolicy spin = SpinPolicy::Never());
  int partition_count() const override { return static_cast<int>(boxes_.size()); }
  void Send(PartitionMessage message) override;
  void Receive(PartitionId self, std::vector<PartitionMessage>* out) override;
  WaitResult Wait(PartitionId self, SimTime next_event, SimTime* floor) override;
  std::optional<std::vector<SimTime>> AllReduceMin(PartitionId self, std::vector<SimTime> values) override;
  void Leave(PartitionId self) override;
  void Abort() override;

 private:
  // Messages sit under the mailbox's own mutex, so partitions sending to
  // each other at the same moment (every window) never contend; the run's
  // state for stuck detection (null messages) sits under mu_.
  struct alignas(64) Mailbox {
    absl::Mutex box_mu;
    std::vector<PartitionMessage> messages;  // guarded by box_mu
    bool dropped = false;                    // guarded by box_mu: left, take nothing more
    std::atomic<uint32_t> count{0};          // messages.size(), readable without a lock
    std::atomic<uint32_t> wakes{0};          // bumped at every wake-up: what a spinning Wait watches
    std::atomic<bool> parked{false};         // inside cv.Wait
    std::atomic<bool> idle{false};           // said so at its last Wait (under mu_), no events received since
    absl::CondVar cv;                        // with mu_
    bool left = false;     // under mu_
    bool blocked = false;  // under mu_: inside Wait
    SimTime next_event = SimTime::Infinite();
    bool has_floor = false;
    SimTime floor;
  };
  // One partition's contribution to the current barrier generation.
  struct alignas(64) ReduceSlot {
    std::vector<SimTime> values;
    uint64_t generation = 0;  // the generation `values` belongs to
  };
  // Contract 3: detects a stuck run and hands out floors or quiescence.
  void CheckStuckLocked();
  void WakeLocked(Mailbox& box);  // mu_ held
  void Wake(Mailbox& box);        // mu_ not held
  // Spins until `done()` or this partition's adaptive budget; true if done.
  template <typename Done>
  bool SpinUntil(PartitionId self, Done done);
  // After a spin that failed and parked: resizes the budget from how long
  // the whole wait took.
  void AfterPark(PartitionId self);

  const SpinPolicy spin_;
  const unsigned cores_;
  struct alignas(64) SpinBudget {  // touched by its partition's thread only
    explicit SpinBudget(int64_t ns) : value(ns) {}
    int64_t value;                  // ns
    std::chrono::steady_clock::time_point started;  // of the last wait
    bool spun = false;              // the last wait spun before it parked
    bool crowded = false;           // more runnable threads than cores at the last look
    std::chrono::steady_clock::time_point next_crowd_check;
  };
  std::vector<SpinBudget> spin_budget_ns_;
  absl::Mutex mu_;
  std::vector<Mailbox> boxes_;
  std::atomic<int64_t> event_messages_in_flight_{0};
  bool quiescent_ = false;
  std::atomic<bool> aborted_{false};
  // AllReduceMin.
  std::vector<ReduceSlot> reduce_slots_;
  std::vector<SimTime> reduce_result_;  // stable until every partition arrives again
  std::atomic<int> live_{0};            // partitions that have not left
  alignas(64) std::atomic<int> reduce_arrived_{0};
  alignas(64) std::atomic<uint64_t> reduce_generation_{0};
  std::atomic<int> reduce_parked_{0};
  std::mutex reduce_mu_;
  std::condition_variable reduce_cv_;
};

}  // namespace strata::sim

#endif  // STRATA_SIM_TRANSPORT_H_
