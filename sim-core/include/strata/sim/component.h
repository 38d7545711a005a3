// Component and Context: what a model is made of, and what the kernel gives it.
//
// A Component stands for one piece of hardware (a die, a channel, a
// controller). It declares named ports in its constructor, handles the events
// that arrive on them, and never calls another component: it sends events
// over links, whose latency is the lookahead that lets partitions run in
// parallel (as in SST). The kernel hands every component its own Context,
// which is the only way to read the clock, send, schedule or draw random
// numbers, so a model cannot tell which engine runs it.
#ifndef STRATA_SIM_COMPONENT_H_
#define STRATA_SIM_COMPONENT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "strata/sim/digest.h"
#include "strata/sim/event.h"
#include "strata/sim/random.h"
#include "strata/sim/time.h"

namespace strata::sim {

namespace internal {
class PartitionCore;
struct PortBinding;
}  // namespace internal

// A named number a component reports at the end of a run (busy time, pages
// read, ...). Units are base units: seconds, bytes, counts.
struct Statistic {
  std::string name;
  double value = 0;
  std::string unit;
};

// Cache-line aligned: contexts of components in different partitions must
// not share a line, or every event would bounce it between cores.
class alignas(64) Context {
 public:
  SimTime Now() const;
  ComponentId id() const { return id_; }

  // Sends an event out of `port`; it arrives at the linked port after the
  // link's latency plus `extra_delay` (>= 0). Payload: any trivially-copyable
  // struct of at most kEventPayloadBytes.
  template <typename T = NoPayload>
  void Send(PortId port, EventType type, const T& payload = {}, SimTime extra_delay = SimTime::Zero()) {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= kEventPayloadBytes);
    SendBytes(port, kNoMember, type, &payload, std::is_empty_v<T> ? 0 : sizeof(T), extra_delay);
  }
  // Sends to member `member` of the mesh bound to `port` (see
  // Simulation::ConnectMesh): the fabric's latency plus `extra_delay`.
  template <typename T = NoPayload>
  void SendTo(PortId port, uint32_t member, EventType type, const T& payload = {},
              SimTime extra_delay = SimTime::Zero()) {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= kEventPayloadBytes);
    SendBytes(port, member, type, &payload, std::is_empty_v<T> ? 0 : sizeof(T), extra_delay);
  }
  // Schedules an event to this component itself after `delay` (>= 0).
  template <typename T = NoPayload>
  void Schedule(SimTime delay, EventType type, const T& payload = {}) {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= kEventPayloadBytes);
    ScheduleBytes(delay, type, &payload, std::is_empty_v<T> ? 0 : sizeof(T));
  }

  // This component's random stream, seeded from (run seed, component id).
  RandomStream& random() { return random_; }

  // Stops the run with an error (the model found an impossible state). The
  // current event completes; the run returns `status`.
  void Fail(absl::Status status);

  // Number of members in the mesh bound to `port` (0 for a point link).
  uint32_t MeshSize(PortId port) const;

  // A dynamic promise, for lookahead: nothing leaves `port` before `t`
  // until an event arrives on `lapses_on` (kSelfPort: never lapses). The
  // component vouches for everything else that can happen meanwhile: its
  // own scheduled events and arrivals on its other ports (e.g. a channel's
  // dies working through requests it issued). Between lapses a promise may
  // only move forward; an earlier `t` fails the run (FAILED_PRECONDITION
  // naming component, port and both times), as does a send that breaks it
  // (INTERNAL, a causality violation). Window sync lets other partitions
  // run up to the promise.
  void PromiseNoOutputBefore(PortId port, SimTime t, PortId lapses_on = kSelfPort);

 private:
  friend class internal::PartitionCore;
  static constexpr uint32_t kNoMember = 0xFFFFFFFF;
  void SendBytes(PortId port, uint32_t member, EventType type, const void* payload, size_t size,
                 SimTime extra_delay);
  void ScheduleBytes(SimTime delay, EventType type, const void* payload, size_t size);
  uint64_t NextOrder() { return (uint64_t{id_} << kSequenceBits) | sequence_++; }

  // Checks a send or schedule at `when` on `port` against the component's
  // declared reactions and promises; false (and the run failed) if broken.
  bool CheckDeclared(PortId port, SimTime when);

  internal::PartitionCore* core_ = nullptr;
  const internal::PortBinding* bindings_ = nullptr;
  // Declared reactions ([(arrival port or ports) * ports + out], ports
  // counting kSelfPort as the last), or null when none were declared.
  const SimTime* reactions_ = nullptr;
  uint16_t reaction_ports_ = 0;  // ports + 1 (kSelfPort)
  // Dynamic promises by port: empty until the first promise.
  struct Promise {
    SimTime until = SimTime::Zero();
    PortId lapses_on = kSelfPort;
  };
  std::vector<Promise> promises_;
  // Events handled: the component's share of the work, which the
  // partition planner balances (RunResult::events_by_component).
  uint64_t handled_events_ = 0;
  ComponentId id_ = 0;
  uint64_t sequence_ = 0;
  RandomStream random_;
};

// Cache-line aligned for the same reason as Context: components are
// allocated one after another while the partitioner spreads them across
// partitions, so neighbours in memory often run on different threads.
class alignas(64) Component {
 public:
  explicit Component(std::string name);
  virtual ~Component() = default;
  Component(const Component&) = delete;
  Component& operator=(const Component&) = delete;

  const std::string& name() const { return name_; }
  ComponentId id() const { return id_; }
  const std::vector<std::string>& port_names() const { return port_names_; }
  // Returns the port with that name, or -1.
  int FindPort(std::string_view port_name) const;
  // What DeclareReaction recorded (the kernel builds its tables from it).
  struct Reaction {
    PortId in;
    PortId out;
    SimTime at_least;
  };
  const std::vector<Reaction>& declared_reactions() const { return reactions_; }

  // Called once at time zero, before any event: schedule initial events here.
  virtual void Init() {}
  // Called for every event addressed to this component, in the kernel's
  // total order (time, source, sequence).
  virtual void Handle(const Event& event) = 0;
  // Called once after the run ends (final time known): close statistics.
  virtual void Finish() {}
  // Adds every piece of final state that a result depends on.
  virtual void AddToDigest(DigestBuilder& digest) const = 0;
  // Appends end-of-run statistics (name, value, unit).
  virtual void CollectStatistics(std::vector<Statistic>* /*out*/) const {}
  // Relative cost used by the partitioner to balance load (default 1).
  virtual double PartitionWeight() const { return 1.0; }

 protected:
  // Declares a port; only in the constructor. Returns its id.
  PortId DeclarePort(std::string port_name);
  // A static reaction time, for lookahead: an event arriving on `in`
  // (kSelfPort: this component's own scheduled events) never makes this
  // component send on `out` (kSelfPort: schedule an event to itself) sooner
  // than `reaction` later; SimTime::Infinite(): never at all. Undeclared
  // pairs allow 0. Only in the constructor, after DeclarePort of both. The
  // kernel bounds partitions' windows with it and checks every send: one
  // sooner fails the run with a causality error naming the component, the
  // ports, the declared reaction and the times.
  void DeclareReaction(PortId in, PortId out, SimTime reaction);

  Context& ctx() { return *context_; }
  const Context& ctx() const { return *context_; }

 private:
  friend class Simulation;
  friend class internal::PartitionCore;
  std::string name_;
  ComponentId id_ = 0;
  std::vector<std::string> port_names_;
  std::vector<Reaction> reactions_;
  Context* context_ = nullptr;
};

}  // namespace strata::sim

#endif  // STRATA_SIM_COMPONENT_H_
