#include "partition_hub.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace strata::partition {

PartitionHub::PartitionHub(int partitions, ReplyWriter reply)
    : partitions_(partitions), reply_(std::move(reply)), transport_(partitions) {
  for (int p = 0; p < partitions; ++p) executors_.push_back(std::make_unique<Executor>());
  for (int p = 0; p < partitions; ++p) {
    executors_[p]->thread = std::thread([this, p] { Serve(static_cast<sim::PartitionId>(p)); });
  }
}

PartitionHub::~PartitionHub() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  // After a finished run every partition has left and this changes nothing;
  // after a failed one it wakes executors still blocked in Wait or a barrier.
  transport_.Abort();
  for (auto& e : executors_) {
    {
      std::lock_guard<std::mutex> lock(e->mu);
      e->cv.notify_all();
    }
    e->thread.join();
  }
}

void PartitionHub::OnCall(const v1::KernelCall& call) {
  if (call.call_case() == v1::KernelCall::kAbort) {
    Abort(absl::StrCat("partition ", call.partition(), " aborted: ", call.abort()));
    return;
  }
  if (call.partition() >= static_cast<uint32_t>(partitions_)) {
    Abort(absl::StrCat("a call named partition ", call.partition(), "; allowed: 0 to ", partitions_ - 1));
    return;
  }
  const sim::PartitionId self = static_cast<sim::PartitionId>(call.partition());
  Executor& e = *executors_[self];
  {
    std::lock_guard<std::mutex> lock(e.mu);
    // Only this partition's stream reader adds its calls, so once the queue
    // is empty and nothing is being served, serving here keeps the order.
    if (e.busy || !e.calls.empty() || call.call_case() == v1::KernelCall::kWaitNextEventPs) {
      e.calls.push_back(call);
      e.cv.notify_one();
      return;
    }
    e.busy = true;
  }
  Execute(self, call);
  std::lock_guard<std::mutex> lock(e.mu);
  e.busy = false;
  if (!e.calls.empty()) e.cv.notify_one();
}

void PartitionHub::Abort(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!aborted_) {
      aborted_ = true;
      abort_reason_ = reason;
    }
  }
  transport_.Abort();
  std::vector<sim::PartitionId> waiting;
  {
    std::lock_guard<std::mutex> lock(barrier_mu_);
    waiting.swap(barrier_waiting_);
  }
  for (sim::PartitionId p : waiting) {
    v1::KernelReply reply;
    reply.set_aborted(true);
    Reply(p, std::move(reply));
  }
}

bool PartitionHub::aborted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return aborted_;
}

std::string PartitionHub::abort_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return abort_reason_;
}

void PartitionHub::Serve(sim::PartitionId self) {
  Executor& e = *executors_[self];
  for (;;) {
    v1::KernelCall call;
    {
      std::unique_lock<std::mutex> lock(e.mu);
      e.cv.wait(lock, [&] {
        if (!e.calls.empty() && !e.busy) return true;
        std::lock_guard<std::mutex> hub_lock(mu_);
        return stopping_;
      });
      if (e.calls.empty() || e.busy) return;  // stopping, nothing left to serve
      call = std::move(e.calls.front());
      e.calls.pop_front();
      e.busy = true;
    }
    Execute(self, call);
    std::lock_guard<std::mutex> lock(e.mu);
    e.busy = false;
  }
}

void PartitionHub::Execute(sim::PartitionId self, const v1::KernelCall& call) {
  auto send = [&](const std::string& bytes) {
    sim::PartitionMessage m;
    if (!sim::DecodeBatch(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), &m) || m.from != self ||
        m.to >= partitions_ || m.to == self) {
      Abort(absl::StrCat("partition ", self, " sent a batch that does not decode to another partition"));
      return false;
    }
    transport_.Send(std::move(m));
    return true;
  };
  for (const std::string& bytes : call.sends()) {
    if (!send(bytes)) return;
  }
  switch (call.call_case()) {
    case v1::KernelCall::kSend: send(call.send()); return;
    case v1::KernelCall::kWaitNextEventPs: {
      sim::SimTime floor;
      const sim::WaitResult r = transport_.Wait(self, sim::SimTime::Picoseconds(call.wait_next_event_ps()), &floor);
      v1::KernelReply reply;
      switch (r) {
        case sim::WaitResult::kMessage: reply.set_wait(v1::WAIT_MESSAGE); break;
        case sim::WaitResult::kFloor:
          reply.set_wait(v1::WAIT_FLOOR);
          reply.set_time_ps(floor.ps());
          break;
        case sim::WaitResult::kQuiescent: reply.set_wait(v1::WAIT_QUIESCENT); break;
        case sim::WaitResult::kAborted: reply.set_wait(v1::WAIT_ABORTED); break;
      }
      Reply(self, std::move(reply));
      return;
    }
    case v1::KernelCall::kAllReduceMin: ArriveAtBarrier(self, call.all_reduce_min()); return;
    case v1::KernelCall::kLeave: {
      transport_.Leave(self);
      std::lock_guard<std::mutex> lock(barrier_mu_);
      ++left_;
      return;
    }
    default: return;  // aborts never reach here
  }
}

// The same barrier as InProcessTransport::AllReduceMin (the minimum over
// every partition that has not left), without a blocked thread per
// partition: the last arrival answers all. Every partition's sends before
// its AllReduceMin were applied before it arrived (calls are served in
// order), so each mailbox drained into a reply holds whatever was sent to
// it before the barrier (contract 2); no partition can send again before
// it has its answer, and every mailbox is drained before any answer leaves.
void PartitionHub::ArriveAtBarrier(sim::PartitionId self, const v1::TimeVector& values) {
  std::vector<sim::PartitionId> answer;
  std::vector<int64_t> min_ps;
  {
    std::lock_guard<std::mutex> lock(barrier_mu_);
    if (!aborted()) {
      if (barrier_waiting_.empty()) {  // the first arrival of this barrier
        barrier_min_ps_.assign(values.ps().begin(), values.ps().end());
      } else {
        const size_t n = std::min<size_t>(barrier_min_ps_.size(), values.ps_size());
        for (size_t i = 0; i < n; ++i) barrier_min_ps_[i] = std::min(barrier_min_ps_[i], values.ps(i));
      }
      barrier_waiting_.push_back(self);
      if (static_cast<int>(barrier_waiting_.size()) < partitions_ - left_) return;
      answer.swap(barrier_waiting_);
      min_ps.swap(barrier_min_ps_);
    }
  }
  if (answer.empty()) {  // aborted
    v1::KernelReply reply;
    reply.set_aborted(true);
    Reply(self, std::move(reply));
    return;
  }
  std::vector<v1::KernelReply> replies(answer.size());
  for (size_t i = 0; i < answer.size(); ++i) {
    replies[i].mutable_minimum_ps()->Assign(min_ps.begin(), min_ps.end());
    Drain(answer[i], &replies[i]);
  }
  for (size_t i = 0; i < answer.size(); ++i) {
    replies[i].set_partition(answer[i]);
    reply_(answer[i], &replies[i]);
  }
}

void PartitionHub::Drain(sim::PartitionId self, v1::KernelReply* reply) {
  std::vector<sim::PartitionMessage> messages;
  transport_.Receive(self, &messages);
  for (const sim::PartitionMessage& m : messages) {
    const std::vector<std::byte> bytes = sim::EncodeBatch(m);
    reply->add_batches(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
}

void PartitionHub::Reply(sim::PartitionId self, v1::KernelReply reply) {
  reply.set_partition(self);
  Drain(self, &reply);
  reply_(self, &reply);  // a dead process is noticed by its stream's reader
}

}  // namespace strata::partition
