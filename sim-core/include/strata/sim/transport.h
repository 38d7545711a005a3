// Transport: how partitions exchange events and time promises.
//
// The kernel talks to other partitions only through this interface, so a
// partition loop runs unchanged whether its peers are threads in this
// process (InProcessTransport) or processes on other machines (a gRPC
// transport in services/coordinator). The contract an implementation keeps:
//  1. Messages between one pair of partitions arrive in the order sent.
//  2. AllReduceMin is a barrier: a message sent before a partition entered it
//     is receivable by its destination once AllReduceMin returns there.
//  3. Wait blocks until a message arrives (kMessage), or reports kQuiescent
//     when every live partition has said it is idle (no pending events) and
//     no message carrying events is in flight: no event exists anywhere, so
//     the run is over. Null messages do not keep a run alive; a partition
//     stays idle until it receives events.
//  4. Abort wakes every blocked call, which then reports the abort, so one
//     partition's error cannot leave the others waiting forever.
#ifndef STRATA_SIM_TRANSPORT_H_
#define STRATA_SIM_TRANSPORT_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

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

enum class WaitResult { kMessage, kQuiescent, kAborted };

class Transport {
 public:
  virtual ~Transport() = default;
  virtual int partition_count() const = 0;
  virtual void Send(PartitionMessage message) = 0;
  // Appends every message waiting for `self` to *out; never blocks.
  virtual void Receive(PartitionId self, std::vector<PartitionMessage>* out) = 0;
  // Blocks until a message for `self` is waiting, the run is quiescent, or
  // it was aborted. `idle`: self has no pending events.
  virtual WaitResult Wait(PartitionId self, bool idle) = 0;
  // Minimum of every partition's value; a barrier (contract 2). Returns
  // nullopt if the run was aborted.
  virtual std::optional<SimTime> AllReduceMin(PartitionId self, SimTime value) = 0;
  // `self` has finished; it takes no further part and counts as idle.
  // Messages still addressed to it are dropped.
  virtual void Leave(PartitionId self) = 0;
  // Stops the run everywhere (contract 4).
  virtual void Abort() = 0;
};

// Threads in one process: a mailbox per partition. One mutex guards all
// mailboxes and the quiescence counters: messages are whole batches, so the
// lock is taken per batch, not per event.
class InProcessTransport final : public Transport {
 public:
  explicit InProcessTransport(int partitions);
  int partition_count() const override { return static_cast<int>(boxes_.size()); }
  void Send(PartitionMessage message) override;
  void Receive(PartitionId self, std::vector<PartitionMessage>* out) override;
  WaitResult Wait(PartitionId self, bool idle) override;
  std::optional<SimTime> AllReduceMin(PartitionId self, SimTime value) override;
  void Leave(PartitionId self) override;
  void Abort() override;

 private:
  struct Mailbox {
    std::condition_variable cv;
    std::vector<PartitionMessage> messages;
    bool left = false;
    bool idle = false;  // said so at its last Wait, and has received no events since
  };
  void CheckQuiescenceLocked();

  std::mutex mu_;
  std::vector<Mailbox> boxes_;
  // Quiescence: idle partitions + partitions that left == all, and no
  // message with events sent but not yet received.
  int idle_ = 0;
  int left_ = 0;
  int64_t event_messages_in_flight_ = 0;
  bool quiescent_ = false;
  bool aborted_ = false;
  // AllReduceMin: a generation-counted barrier.
  std::condition_variable reduce_cv_;
  int reduce_arrived_ = 0;
  uint64_t reduce_generation_ = 0;
  SimTime reduce_value_ = SimTime::Infinite();
  SimTime reduce_result_ = SimTime::Infinite();
};

}  // namespace strata::sim

#endif  // STRATA_SIM_TRANSPORT_H_
