// RemoteTransport: the sim::Transport a service's partitions run against
// when the authoritative transport state lives in the coordinator
// (PartitionHub). Every call becomes a KernelCall on the service's one
// RunPartitions stream; Wait and AllReduceMin block until the matching
// KernelReply arrives, and the batches that ride ahead of a reply are what
// Receive hands out next.
//
// Why the contract (sim-core transport.h) holds:
//  1. A partition's calls leave in program order on one stream and the hub
//     serves each partition's calls in that order, so batches between a
//     pair stay in order; replies carry batches in hub arrival order.
//  2. The hub answers AllReduceMin only once every partition arrived, then
//     drains the partition's mailbox into the reply: whatever was sent
//     before the barrier travels with the answer.
//  3. Quiescence and floors are decided by the hub's InProcessTransport on
//     the same calls the threads would make in one process.
//  4. Abort is sent to the hub (which wakes everyone) and wakes the local
//     calls at once; a broken stream aborts locally too.
// Back-pressure: batches are written to the gRPC stream synchronously, so a
// partition that outruns the network waits under HTTP/2 flow control
// instead of queueing without bound.
// Coalescing (window sync): a partition's Sends are held and travel in its
// next call's `sends` (AllReduceMin or Leave), so a window costs one
// message each way; the hub applies them before the call, which is the
// order they were made in (contract 1) and before the barrier (2). With
// null messages a Send goes at once: a peer may be waiting for its promise.
#ifndef STRATA_PARTITION_REMOTE_TRANSPORT_H_
#define STRATA_PARTITION_REMOTE_TRANSPORT_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "strata/sim/transport.h"
#include "strata/v1/partition_service.pb.h"

namespace strata::partition {

class RemoteTransport final : public sim::Transport {
 public:
  // `write` puts one message on the stream to the coordinator and returns
  // false once the stream is gone; calls to it are serialised here.
  // `read` (optional, for a service that runs one partition): the
  // partition's own thread reads its replies from the stream while it
  // waits for them, instead of a reader thread handing them over (one
  // thread wake-up less per window). Nobody else may read meanwhile; the
  // coordinator sends nothing but replies until every partition is done.
  RemoteTransport(int partition_count, std::function<bool(const v1::FromPartitions&)> write,
                  bool coalesce_sends = false, std::function<bool(v1::ToPartitions*)> read = {});

  // From the stream reader: an answer to one partition's blocked call.
  // INVALID_ARGUMENT-style problems (a bad batch, an unknown partition)
  // abort the run, with the reason.
  void OnReply(const v1::KernelReply& reply);
  // The stream broke or the coordinator went away: every blocked call
  // returns as aborted, and later ones do not block.
  void AbortLocal(const std::string& reason);
  bool aborted() const;
  std::string abort_reason() const;

  int partition_count() const override { return partition_count_; }
  void Send(sim::PartitionMessage message) override;
  void Receive(sim::PartitionId self, std::vector<sim::PartitionMessage>* out) override;
  sim::WaitResult Wait(sim::PartitionId self, sim::SimTime next_event, sim::SimTime* floor) override;
  std::optional<std::vector<sim::SimTime>> AllReduceMin(sim::PartitionId self,
                                                        std::vector<sim::SimTime> values) override;
  void Leave(sim::PartitionId self) override;
  void Abort() override;

 private:
  struct Slot {
    std::vector<std::string> unsent;  // coalesced batches; only the partition's own thread
    std::vector<sim::PartitionMessage> inbox;
    bool has_reply = false;
    v1::KernelReply reply;
    std::condition_variable cv;
  };
  bool Write(const v1::FromPartitions& message);
  // Sends `call` and blocks until the reply for `self` (false: aborted).
  bool Call(sim::PartitionId self, v1::FromPartitions call, v1::KernelReply* reply);
  // Moves `self`'s coalesced batches into `call`.
  void AttachUnsent(sim::PartitionId self, v1::KernelCall* call);

  const int partition_count_;
  const bool coalesce_sends_;
  std::function<bool(const v1::FromPartitions&)> write_;
  std::function<bool(v1::ToPartitions*)> read_;
  std::mutex write_mu_;
  mutable std::mutex mu_;
  std::vector<Slot> slots_;
  bool aborted_ = false;
  std::string abort_reason_;
};

}  // namespace strata::partition

#endif  // STRATA_PARTITION_REMOTE_TRANSPORT_H_
