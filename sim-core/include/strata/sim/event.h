// Event: the unit of simulated work, a small trivially-copyable record.
//
// Events are exactly 64 bytes (one cache line): a 24-byte header the kernel
// owns and a 40-byte payload the model owns. Being trivially copyable, a batch
// of events crosses a thread or process boundary as raw bytes without any
// per-event serialisation work.
#ifndef STRATA_SIM_EVENT_H_
#define STRATA_SIM_EVENT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "strata/sim/time.h"

namespace strata::sim {

using ComponentId = uint32_t;
using PortId = uint16_t;
using EventType = uint16_t;  // chosen by each model; the kernel never interprets it
using PartitionId = uint16_t;

inline constexpr PortId kSelfPort = 0xFFFF;  // arrival "port" of Schedule()d events
inline constexpr size_t kEventPayloadBytes = 40;

// Bits of Event::order used by the per-source sequence number; the source
// component id sits above them. 40 bits = 1.1e12 events per component.
inline constexpr int kSequenceBits = 40;
inline constexpr uint64_t kMaxComponents = uint64_t{1} << (64 - kSequenceBits);

struct Event {
  SimTime time;
  // Tie-breaker for equal times: (source component id << 40) | source
  // sequence number. It gives every event a unique place in one total order
  // that does not depend on arrival order, threads or partitions.
  uint64_t order;
  ComponentId target;
  PortId port;  // arrival port on the target, or kSelfPort
  EventType type;
  alignas(8) std::byte payload[kEventPayloadBytes];

  ComponentId source() const { return static_cast<ComponentId>(order >> kSequenceBits); }

  // Copies the payload out as T (memcpy: no aliasing or alignment traps).
  template <typename T>
  T PayloadAs() const {
    static_assert(std::is_trivially_copyable_v<T>, "event payloads must be trivially copyable");
    static_assert(sizeof(T) <= kEventPayloadBytes, "payload larger than Event::payload");
    T value;
    std::memcpy(&value, payload, sizeof(T));
    return value;
  }
};

static_assert(sizeof(Event) == 64, "Event must stay one cache line");
static_assert(std::is_trivially_copyable_v<Event>, "Event must be trivially copyable");

// The kernel's total order on events: time, then source, then sequence.
inline bool EventBefore(const Event& a, const Event& b) {
  return a.time < b.time || (a.time == b.time && a.order < b.order);
}

// An empty payload for events that carry nothing but their type.
struct NoPayload {};

}  // namespace strata::sim

#endif  // STRATA_SIM_EVENT_H_
