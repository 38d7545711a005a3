#include "remote_transport.h"

#include "absl/strings/str_cat.h"

namespace strata::partition {

RemoteTransport::RemoteTransport(int partition_count, std::function<bool(const v1::FromPartitions&)> write,
                                 bool coalesce_sends, std::function<bool(v1::ToPartitions*)> read)
    : partition_count_(partition_count),
      coalesce_sends_(coalesce_sends),
      write_(std::move(write)),
      read_(std::move(read)),
      slots_(partition_count) {}

void RemoteTransport::AttachUnsent(sim::PartitionId self, v1::KernelCall* call) {
  std::vector<std::string>& unsent = slots_[self].unsent;
  for (std::string& bytes : unsent) call->add_sends(std::move(bytes));
  unsent.clear();
}

bool RemoteTransport::Write(const v1::FromPartitions& message) {
  std::lock_guard<std::mutex> lock(write_mu_);
  return write_(message);
}

void RemoteTransport::OnReply(const v1::KernelReply& reply) {
  std::lock_guard<std::mutex> lock(mu_);
  if (reply.partition() >= slots_.size()) return;
  Slot& slot = slots_[reply.partition()];
  for (const std::string& bytes : reply.batches()) {
    sim::PartitionMessage m;
    if (!sim::DecodeBatch(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size(), &m)) {
      aborted_ = true;
      abort_reason_ = absl::StrCat("a batch for partition ", reply.partition(), " did not decode");
      for (Slot& s : slots_) s.cv.notify_all();
      return;
    }
    slot.inbox.push_back(std::move(m));
  }
  slot.reply = reply;
  slot.reply.clear_batches();
  slot.has_reply = true;
  slot.cv.notify_all();
}

void RemoteTransport::AbortLocal(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!aborted_) {
    aborted_ = true;
    abort_reason_ = reason;
  }
  for (Slot& s : slots_) s.cv.notify_all();
}

bool RemoteTransport::aborted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return aborted_;
}

std::string RemoteTransport::abort_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return abort_reason_;
}

void RemoteTransport::Send(sim::PartitionMessage message) {
  const std::vector<std::byte> bytes = sim::EncodeBatch(message);
  if (coalesce_sends_) {
    slots_[message.from].unsent.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return;
  }
  v1::FromPartitions out;
  v1::KernelCall* call = out.mutable_call();
  call->set_partition(message.from);
  call->set_send(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (!Write(out)) AbortLocal("the stream to the coordinator broke while sending");
}

void RemoteTransport::Receive(sim::PartitionId self, std::vector<sim::PartitionMessage>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  Slot& slot = slots_[self];
  for (auto& m : slot.inbox) out->push_back(std::move(m));
  slot.inbox.clear();
}

bool RemoteTransport::Call(sim::PartitionId self, v1::FromPartitions call, v1::KernelReply* reply) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (aborted_) return false;
    slots_[self].has_reply = false;
  }
  AttachUnsent(self, call.mutable_call());
  if (!Write(call)) {
    AbortLocal("the stream to the coordinator broke");
    return false;
  }
  while (read_) {
    v1::ToPartitions in;
    if (!read_(&in)) {
      AbortLocal("the coordinator closed the stream");
      return false;
    }
    if (!in.has_reply()) continue;  // nothing else comes before `done`
    OnReply(in.reply());
    if (in.reply().partition() == self || aborted()) break;
  }
  std::unique_lock<std::mutex> lock(mu_);
  Slot& slot = slots_[self];
  slot.cv.wait(lock, [&] { return slot.has_reply || aborted_; });
  if (!slot.has_reply) return false;
  slot.has_reply = false;
  *reply = std::move(slot.reply);
  return true;
}

sim::WaitResult RemoteTransport::Wait(sim::PartitionId self, sim::SimTime next_event, sim::SimTime* floor) {
  v1::FromPartitions out;
  out.mutable_call()->set_partition(self);
  out.mutable_call()->set_wait_next_event_ps(next_event.ps());
  v1::KernelReply reply;
  if (!Call(self, std::move(out), &reply)) return sim::WaitResult::kAborted;
  switch (reply.wait()) {
    case v1::WAIT_MESSAGE: return sim::WaitResult::kMessage;
    case v1::WAIT_FLOOR:
      *floor = sim::SimTime::Picoseconds(reply.time_ps());
      return sim::WaitResult::kFloor;
    case v1::WAIT_QUIESCENT: return sim::WaitResult::kQuiescent;
    default:
      AbortLocal("the coordinator aborted the run");
      return sim::WaitResult::kAborted;
  }
}

std::optional<std::vector<sim::SimTime>> RemoteTransport::AllReduceMin(sim::PartitionId self,
                                                                      std::vector<sim::SimTime> values) {
  v1::FromPartitions out;
  out.mutable_call()->set_partition(self);
  for (sim::SimTime v : values) out.mutable_call()->mutable_all_reduce_min()->add_ps(v.ps());
  v1::KernelReply reply;
  if (!Call(self, std::move(out), &reply)) return std::nullopt;
  if (reply.aborted()) {
    AbortLocal("the coordinator aborted the run");
    return std::nullopt;
  }
  std::vector<sim::SimTime> minimum;
  minimum.reserve(reply.minimum_ps_size());
  for (int64_t ps : reply.minimum_ps()) minimum.push_back(sim::SimTime::Picoseconds(ps));
  return minimum;
}

void RemoteTransport::Leave(sim::PartitionId self) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    slots_[self].inbox.clear();
  }
  v1::FromPartitions out;
  out.mutable_call()->set_partition(self);
  out.mutable_call()->set_leave(true);
  AttachUnsent(self, out.mutable_call());
  Write(out);  // a broken stream fails the run elsewhere; nothing to wait for here
}

void RemoteTransport::Abort() {
  const bool first = !aborted();
  AbortLocal("a local partition aborted the run");
  if (!first) return;  // the hub already knows, or told us
  v1::FromPartitions out;
  out.mutable_call()->set_partition(0);
  out.mutable_call()->set_abort("a partition on this service aborted the run");
  Write(out);
}

}  // namespace strata::partition
