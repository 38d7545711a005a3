#include "strata/sim/transport.h"

#include <algorithm>
#include <cstring>

namespace strata::sim {

namespace {
// Wire header of an event batch; events follow as raw 64-byte records.
struct BatchHeader {
  uint32_t magic;  // "STEB"
  uint16_t from;
  uint16_t to;
  int64_t promise_ps;
  uint64_t event_count;
};
constexpr uint32_t kBatchMagic = 0x42455453;
}  // namespace

std::vector<std::byte> EncodeBatch(const PartitionMessage& message) {
  BatchHeader header{kBatchMagic, message.from, message.to, message.promise.ps(), message.events.size()};
  std::vector<std::byte> bytes(sizeof header + message.events.size() * sizeof(Event));
  std::memcpy(bytes.data(), &header, sizeof header);
  if (!message.events.empty()) {
    std::memcpy(bytes.data() + sizeof header, message.events.data(), message.events.size() * sizeof(Event));
  }
  return bytes;
}

bool DecodeBatch(const std::byte* data, size_t size, PartitionMessage* out) {
  BatchHeader header;
  if (size < sizeof header) return false;
  std::memcpy(&header, data, sizeof header);
  if (header.magic != kBatchMagic) return false;
  // The count is the sender's claim: compare it with what the bytes hold by
  // division, never by multiplying it (2^58 events x 64 bytes wraps).
  const size_t body = size - sizeof header;
  if (body % sizeof(Event) != 0 || header.event_count != body / sizeof(Event)) return false;
  out->from = header.from;
  out->to = header.to;
  out->promise = SimTime::Picoseconds(header.promise_ps);
  out->events.resize(header.event_count);
  if (header.event_count > 0) {
    std::memcpy(out->events.data(), data + sizeof header, header.event_count * sizeof(Event));
  }
  return true;
}

InProcessTransport::InProcessTransport(int partitions) : boxes_(partitions) {}

void InProcessTransport::Send(PartitionMessage message) {
  std::lock_guard<std::mutex> lock(mu_);
  Mailbox& box = boxes_[message.to];
  if (box.left) return;  // it finished: nothing it could still use
  if (!message.events.empty()) ++event_messages_in_flight_;
  box.messages.push_back(std::move(message));
  box.cv.notify_one();
}

void InProcessTransport::Receive(PartitionId self, std::vector<PartitionMessage>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  Mailbox& box = boxes_[self];
  for (auto& m : box.messages) {
    if (!m.events.empty()) {
      --event_messages_in_flight_;
      box.idle = false;
    }
    out->push_back(std::move(m));
  }
  box.messages.clear();
}

void InProcessTransport::CheckStuckLocked() {
  if (event_messages_in_flight_ != 0) return;
  SimTime floor = SimTime::Infinite();
  for (const Mailbox& b : boxes_) {
    if (b.left || b.idle) continue;
    if (!b.blocked) return;  // someone can still make progress on its own
    floor = std::min(floor, b.next_event);
  }
  if (floor.IsInfinite()) {
    quiescent_ = true;
  } else {
    for (Mailbox& b : boxes_) {
      if (b.blocked && !b.idle && !b.left) {
        b.has_floor = true;
        b.floor = floor;
      }
    }
  }
  for (Mailbox& b : boxes_) b.cv.notify_all();
}

WaitResult InProcessTransport::Wait(PartitionId self, SimTime next_event, SimTime* floor) {
  std::unique_lock<std::mutex> lock(mu_);
  Mailbox& box = boxes_[self];
  box.idle = next_event.IsInfinite();
  box.next_event = next_event;
  box.blocked = true;
  CheckStuckLocked();
  box.cv.wait(lock, [&] { return !box.messages.empty() || box.has_floor || quiescent_ || aborted_; });
  box.blocked = false;
  if (aborted_) return WaitResult::kAborted;
  if (quiescent_) return WaitResult::kQuiescent;
  if (box.has_floor) {
    box.has_floor = false;
    *floor = box.floor;
    return WaitResult::kFloor;
  }
  return WaitResult::kMessage;
}

std::optional<std::vector<SimTime>> InProcessTransport::AllReduceMin(PartitionId /*self*/,
                                                                    std::vector<SimTime> values) {
  std::unique_lock<std::mutex> lock(mu_);
  if (aborted_) return std::nullopt;
  if (reduce_value_.empty()) {
    reduce_value_ = std::move(values);
  } else {
    const size_t n = std::min(reduce_value_.size(), values.size());
    for (size_t i = 0; i < n; ++i) reduce_value_[i] = std::min(reduce_value_[i], values[i]);
  }
  const uint64_t generation = reduce_generation_;
  if (++reduce_arrived_ == static_cast<int>(boxes_.size()) - left_) {
    reduce_result_ = std::move(reduce_value_);
    reduce_value_.clear();
    reduce_arrived_ = 0;
    ++reduce_generation_;
    reduce_cv_.notify_all();
    return reduce_result_;
  }
  reduce_cv_.wait(lock, [&] { return reduce_generation_ != generation || aborted_; });
  if (reduce_generation_ == generation) return std::nullopt;
  return reduce_result_;
}

void InProcessTransport::Leave(PartitionId self) {
  std::lock_guard<std::mutex> lock(mu_);
  Mailbox& box = boxes_[self];
  if (box.left) return;
  box.left = true;
  for (const auto& m : box.messages) event_messages_in_flight_ -= m.events.empty() ? 0 : 1;
  box.messages.clear();
  ++left_;
  CheckStuckLocked();
}

void InProcessTransport::Abort() {
  std::lock_guard<std::mutex> lock(mu_);
  aborted_ = true;
  for (Mailbox& b : boxes_) b.cv.notify_all();
  reduce_cv_.notify_all();
}

}  // namespace strata::sim
