#include "strata/sim/transport.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

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

SpinPolicy SpinPolicy::For(int partitions) {
  const unsigned cores = std::thread::hardware_concurrency();
  if (cores == 0 || partitions > static_cast<int>(cores)) return {0};  // oversubscribed: park at once
  // 50 us covers a peer's typical batch in an LLM window; the adaptive
  // budget (SpinUntil) shrinks it on a machine busy with other work.
  return {50'000};
}

namespace {
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// True when the kernel has more runnable threads than the machine has cores
// right now (/proc/loadavg's "running/total" field, which counts the reader
// and every spinning partition thread). Then a spinner only takes the core
// a descheduled peer or another program needs, and parking at once wins:
// with one busy program beside a 2-partition PHOLD run on 2 cores, spinning
// made the run 1.5-1.75x slower than parking. False where the file cannot be
// read (not Linux): the adaptive budget alone decides.
bool MoreRunnableThanCores(unsigned cores) {
  const int fd = ::open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[128];
  const ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (n <= 0) return false;
  // "0.52 0.58 0.59 3/812 12345": the fourth field's numerator.
  std::vector<absl::string_view> fields = absl::StrSplit(absl::string_view(text, static_cast<size_t>(n)), ' ');
  if (fields.size() < 4) return false;
  unsigned running = 0;
  if (!absl::SimpleAtoi(fields[3].substr(0, fields[3].find('/')), &running)) return false;
  return running > cores;
}

}  // namespace

template <typename Done>
bool InProcessTransport::SpinUntil(PartitionId self, Done done) {
  // Adaptive: a spin that succeeds doubles this partition's next budget; one
  // that ends in parking is judged by AfterPark. A crowded machine (more
  // runnable threads than cores, looked up at most once a millisecond) skips
  // the spin and parks at once.
  SpinBudget& spin = spin_budget_ns_[self];
  spin.spun = false;
  if (spin.value <= 0) return done();
  spin.started = std::chrono::steady_clock::now();
  if (spin.started >= spin.next_crowd_check) {
    spin.crowded = MoreRunnableThanCores(cores_);
    spin.next_crowd_check = spin.started + std::chrono::milliseconds(1);
  }
  if (spin.crowded) return done();
  spin.spun = true;
  const auto deadline = spin.started + std::chrono::nanoseconds(spin.value);
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) {
        spin.value = std::min(spin_.spin_ns, spin.value * 2);
        return true;
      }
      CpuRelax();
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  return done();
}

void InProcessTransport::AfterPark(PartitionId self) {
  SpinBudget& spin = spin_budget_ns_[self];
  if (!spin.spun) return;  // parked without spinning: nothing learnt
  // The whole wait, wake-up included. Shorter than the policy's bound: the
  // peer was working, not descheduled, and a longer spin would have caught
  // it without the futex round trip, so the budget grows. Halving here
  // instead (as before) had no way back: once the budget fell below the
  // usual wait, every spin failed and halved it again, and a 2-partition
  // PHOLD run parked at every window (16,700 context switches and 1.05
  // cores busy in a 0.46 s run; 0.2 s once the budget could grow back).
  const int64_t waited_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - spin.started).count();
  if (waited_ns <= spin_.spin_ns) {
    spin.value = std::min(spin_.spin_ns, std::max(spin.value, waited_ns) * 2);
  } else {
    spin.value = std::max(spin_.spin_ns / 32, spin.value / 2);
  }
}

InProcessTransport::InProcessTransport(int partitions, SpinPolicy spin)
    : spin_(spin),
      cores_(std::max(1u, std::thread::hardware_concurrency())),
      spin_budget_ns_(partitions, SpinBudget{spin.spin_ns}),
      boxes_(partitions),
      reduce_slots_(partitions),
      live_(partitions) {}

void InProcessTransport::WakeLocked(Mailbox& box) {
  box.wakes.fetch_add(1, std::memory_order_seq_cst);
  if (box.parked.load(std::memory_order_seq_cst)) box.cv.Signal();
}

void InProcessTransport::Wake(Mailbox& box) {
  // Dekker with Wait: it sets parked, then reads count; we wrote count,
  // then read parked (both seq_cst), so one of us sees the other. Its
  // cv.Wait holds mu_ until it sleeps, so the Signal below is not lost.
  box.wakes.fetch_add(1, std::memory_order_seq_cst);
  if (box.parked.load(std::memory_order_seq_cst)) {
    absl::MutexLock lock(&mu_);
    box.cv.Signal();
  }
}

void InProcessTransport::Send(PartitionMessage message) {
  Mailbox& box = boxes_[message.to];
  {
    absl::MutexLock lock(&box.box_mu);
    if (box.dropped) return;  // it finished: nothing it could still use
    // Counted before it can be received, so stuck detection never sees an
    // event in flight as nothing.
    if (!message.events.empty()) event_messages_in_flight_.fetch_add(1, std::memory_order_seq_cst);
    box.messages.push_back(std::move(message));
    box.count.store(static_cast<uint32_t>(box.messages.size()), std::memory_order_seq_cst);
  }
  Wake(box);
}

void InProcessTransport::Receive(PartitionId self, std::vector<PartitionMessage>* out) {
  Mailbox& box = boxes_[self];
  // Contract 2 holds without a lock here: a message sent before the barrier
  // was counted before the sender arrived, and the barrier orders memory.
  if (box.count.load(std::memory_order_acquire) == 0) return;
  int64_t with_events = 0;
  {
    absl::MutexLock lock(&box.box_mu);
    for (auto& m : box.messages) {
      with_events += m.events.empty() ? 0 : 1;
      out->push_back(std::move(m));
    }
    box.messages.clear();
    box.count.store(0, std::memory_order_relaxed);
  }
  if (with_events == 0) return;
  // No longer idle before the events stop counting as in flight, so stuck
  // detection never sees neither.
  if (box.idle.load(std::memory_order_seq_cst)) {
    absl::MutexLock lock(&mu_);
    box.idle.store(false, std::memory_order_seq_cst);
  }
  event_messages_in_flight_.fetch_sub(with_events, std::memory_order_seq_cst);
}

void InProcessTransport::CheckStuckLocked() {
  if (event_messages_in_flight_.load(std::memory_order_seq_cst) != 0) return;
  SimTime floor = SimTime::Infinite();
  for (const Mailbox& b : boxes_) {
    if (b.left || b.idle.load()) continue;
    if (!b.blocked) return;  // someone can still make progress on its own
    floor = std::min(floor, b.next_event);
  }
  if (floor.IsInfinite()) {
    quiescent_ = true;
  } else {
    for (Mailbox& b : boxes_) {
      if (b.blocked && !b.idle.load() && !b.left) {
        b.has_floor = true;
        b.floor = floor;
      }
    }
  }
  for (Mailbox& b : boxes_) WakeLocked(b);
}

WaitResult InProcessTransport::Wait(PartitionId self, SimTime next_event, SimTime* floor) {
  absl::MutexLock lock(&mu_);
  Mailbox& box = boxes_[self];
  box.idle.store(next_event.IsInfinite(), std::memory_order_seq_cst);
  box.next_event = next_event;
  box.blocked = true;
  CheckStuckLocked();
  auto ready = [&] {
    return box.count.load(std::memory_order_seq_cst) > 0 || box.has_floor || quiescent_ || aborted_.load();
  };
  if (!ready()) {
    // Registered as blocked (stuck detection sees it); spin outside the lock
    // for a wake-up before parking.
    const uint32_t wakes = box.wakes.load(std::memory_order_acquire);
    mu_.Unlock();
    SpinUntil(self, [&] { return box.wakes.load(std::memory_order_acquire) != wakes || aborted_.load(); });
    mu_.Lock();
    box.parked.store(true, std::memory_order_seq_cst);
    while (!ready()) box.cv.Wait(&mu_);
    box.parked.store(false, std::memory_order_relaxed);
    AfterPark(self);
  }
  box.blocked = false;
  if (aborted_.load()) return WaitResult::kAborted;
  if (quiescent_) return WaitResult::kQuiescent;
  if (box.has_floor) {
    box.has_floor = false;
    *floor = box.floor;
    return WaitResult::kFloor;
  }
  return WaitResult::kMessage;
}

std::optional<std::vector<SimTime>> InProcessTransport::AllReduceMin(PartitionId self, std::vector<SimTime> values) {
  if (aborted_.load(std::memory_order_acquire)) return std::nullopt;
  // Nobody can open the generation after this one before `self` arrives, so
  // this read is the generation `self` joins.
  const uint64_t generation = reduce_generation_.load(std::memory_order_acquire);
  ReduceSlot& slot = reduce_slots_[self];
  slot.values = std::move(values);
  slot.generation = generation;
  if (reduce_arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == live_.load(std::memory_order_acquire)) {
    // Last to arrive: every live partition's slot of this generation is written.
    bool first = true;
    for (const ReduceSlot& s : reduce_slots_) {
      if (s.generation != generation || s.values.empty()) continue;
      if (first) {
        reduce_result_ = s.values;
        first = false;
        continue;
      }
      const size_t n = std::min(reduce_result_.size(), s.values.size());
      for (size_t i = 0; i < n; ++i) reduce_result_[i] = std::min(reduce_result_[i], s.values[i]);
    }
    reduce_arrived_.store(0, std::memory_order_relaxed);
    reduce_generation_.store(generation + 1, std::memory_order_seq_cst);
    if (reduce_parked_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(reduce_mu_);
      reduce_cv_.notify_all();
    }
    return reduce_result_;
  }
  auto opened = [&] {
    return reduce_generation_.load(std::memory_order_acquire) != generation ||
           aborted_.load(std::memory_order_acquire);
  };
  if (!SpinUntil(self, opened)) {
    std::unique_lock<std::mutex> lock(reduce_mu_);
    reduce_parked_.fetch_add(1, std::memory_order_seq_cst);
    reduce_cv_.wait(lock, opened);
    reduce_parked_.fetch_sub(1, std::memory_order_relaxed);
    AfterPark(self);
  }
  if (reduce_generation_.load(std::memory_order_acquire) == generation) return std::nullopt;  // aborted
  return reduce_result_;
}

void InProcessTransport::Leave(PartitionId self) {
  absl::MutexLock lock(&mu_);
  Mailbox& box = boxes_[self];
  if (box.left) return;
  box.left = true;
  {
    absl::MutexLock box_lock(&box.box_mu);
    box.dropped = true;
    for (const auto& m : box.messages) event_messages_in_flight_ -= m.events.empty() ? 0 : 1;
    box.messages.clear();
    box.count.store(0, std::memory_order_relaxed);
  }
  live_.fetch_sub(1, std::memory_order_acq_rel);
  CheckStuckLocked();
}

void InProcessTransport::Abort() {
  {
    absl::MutexLock lock(&mu_);
    aborted_.store(true);
    for (Mailbox& b : boxes_) WakeLocked(b);
  }
  std::lock_guard<std::mutex> lock(reduce_mu_);
  reduce_cv_.notify_all();
}

}  // namespace strata::sim
