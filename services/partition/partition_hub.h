// PartitionHub: the coordinator's end of the kernel wire. It owns the one
// authoritative transport state of a distributed run, an
// InProcessTransport (mailboxes, stuck detection, the AllReduceMin
// barrier), and serves the calls that partitions in other processes make
// through their RemoteTransport as if those partitions were threads here.
//
// Calls that never block (Send, Leave, AllReduceMin) are served at once on
// the thread that read them (a stream reader), unless earlier calls of the
// same partition are still queued. AllReduceMin does not block either: the
// hub's own barrier answers every partition as soon as the last one
// arrives, from that last arrival's thread, so a window costs one message
// each way and no thread hand-off in the coordinator. Wait may block (null
// messages): it goes to the partition's executor thread, which serves its
// calls in order (contract 1) and blocks exactly where the partition's own
// thread would. Before answering, the partition's mailbox is drained into
// the reply (contract 2). Abort is served at once (contract 4).
#ifndef STRATA_PARTITION_PARTITION_HUB_H_
#define STRATA_PARTITION_PARTITION_HUB_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "strata/sim/transport.h"
#include "strata/v1/partition_service.pb.h"

namespace strata::partition {

class PartitionHub {
 public:
  // `reply(p, &reply)` delivers an answer to partition p's process (it may
  // take the reply's contents); it returns false once that process is gone,
  // and then whoever watches that process's stream fails the run.
  using ReplyWriter = std::function<bool(sim::PartitionId, v1::KernelReply*)>;
  PartitionHub(int partitions, ReplyWriter reply);
  ~PartitionHub();  // aborts if still running, joins the executors

  // A call from a partition in another process; calls naming a partition
  // outside [0, partitions) abort the run with the reason.
  void OnCall(const v1::KernelCall& call);
  // Wakes every blocked call everywhere; `reason` is kept (first one wins).
  void Abort(const std::string& reason);
  bool aborted() const;
  std::string abort_reason() const;

 private:
  struct Executor {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<v1::KernelCall> calls;
    bool busy = false;  // a call of this partition is being served
    std::thread thread;
  };
  void Serve(sim::PartitionId self);
  void Execute(sim::PartitionId self, const v1::KernelCall& call);
  // The non-blocking barrier: answers every partition once all arrived.
  void ArriveAtBarrier(sim::PartitionId self, const v1::TimeVector& values);
  // Moves the partition's waiting batches into `reply`.
  void Drain(sim::PartitionId self, v1::KernelReply* reply);
  void Reply(sim::PartitionId self, v1::KernelReply reply);

  const int partitions_;
  ReplyWriter reply_;
  sim::InProcessTransport transport_;
  std::vector<std::unique_ptr<Executor>> executors_;
  std::mutex barrier_mu_;
  std::vector<sim::PartitionId> barrier_waiting_;
  std::vector<int64_t> barrier_min_ps_;  // elementwise, over this barrier's arrivals
  int left_ = 0;  // partitions that called Leave (guarded by barrier_mu_)
  mutable std::mutex mu_;
  bool stopping_ = false;
  bool aborted_ = false;
  std::string abort_reason_;
};

}  // namespace strata::partition

#endif  // STRATA_PARTITION_PARTITION_HUB_H_
