#include "partition_hub.h"

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
  Executor& e = *executors_[call.partition()];
  std::lock_guard<std::mutex> lock(e.mu);
  e.calls.push_back(call);
  e.cv.notify_one();
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
        if (!e.calls.empty()) return true;
        std::lock_guard<std::mutex> hub_lock(mu_);
        return stopping_;
      });
      if (e.calls.empty()) return;  // stopping, nothing left to serve
      call = std::move(e.calls.front());
      e.calls.pop_front();
    }
    Execute(self, call);
  }
}

void PartitionHub::Execute(sim::PartitionId self, const v1::KernelCall& call) {
  switch (call.call_case()) {
    case v1::KernelCall::kSend: {
      sim::PartitionMessage m;
      const std::string& bytes = call.send();
      if (!sim::DecodeBatch(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), &m) || m.from != self ||
          m.to >= partitions_ || m.to == self) {
        Abort(absl::StrCat("partition ", self, " sent a batch that does not decode to another partition"));
        return;
      }
      transport_.Send(std::move(m));
      return;
    }
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
    case v1::KernelCall::kAllReduceMinPs: {
      const auto min = transport_.AllReduceMin(self, sim::SimTime::Picoseconds(call.all_reduce_min_ps()));
      v1::KernelReply reply;
      if (min) {
        reply.set_time_ps(min->ps());
      } else {
        reply.set_aborted(true);
      }
      Reply(self, std::move(reply));
      return;
    }
    case v1::KernelCall::kLeave: transport_.Leave(self); return;
    default: return;  // aborts never reach an executor
  }
}

void PartitionHub::Reply(sim::PartitionId self, v1::KernelReply reply) {
  reply.set_partition(self);
  std::vector<sim::PartitionMessage> messages;
  transport_.Receive(self, &messages);
  for (const sim::PartitionMessage& m : messages) {
    const std::vector<std::byte> bytes = sim::EncodeBatch(m);
    reply.add_batches(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  reply_(self, &reply);  // a dead process is noticed by its stream's reader
}

}  // namespace strata::partition
