#include "src/internal/partition_core.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace strata::sim {

// ---- Context: the component's window onto its partition -------------------

SimTime Context::Now() const { return core_->now(); }

void Context::Fail(absl::Status status) { core_->Fail(std::move(status)); }

void Context::PromiseNoOutputBefore(PortId port, SimTime t, PortId lapses_on) {
  const size_t ports = reaction_ports_ - 1u;
  if (port >= ports) {
    core_->Fail(absl::InvalidArgumentError(absl::StrCat("component id ", id_, " promised on port ", port,
                                                        "; allowed: 0 to ", ports - 1)));
    return;
  }
  if (promises_.empty()) promises_.resize(ports);
  Promise& p = promises_[port];
  if (t < p.until) {
    core_->Fail(absl::FailedPreconditionError(absl::StrCat(
        "component id ", id_, " revised its promise on port ", port, " backwards, from t=", p.until.ToString(),
        " to t=", t.ToString(), " (at t=", core_->now().ToString(),
        "); a promise only moves forward until an event on its lapse port arrives")));
    return;
  }
  p.until = t;
  p.lapses_on = lapses_on;
}

bool Context::CheckDeclared(PortId port, SimTime when) {
  const PortId in = core_->current_port();
  if (reactions_ != nullptr && in != internal::kNoArrival) {
    const size_t self = reaction_ports_ - 1u;
    const size_t row = in == kSelfPort ? self : in;
    const size_t column = port == kSelfPort ? self : port;
    const SimTime bound = SaturatingAdd(core_->now(), reactions_[row * reaction_ports_ + column]);
    if (when < bound) [[unlikely]] {
      core_->DeclaredBoundViolation(id_, port, when, "its declared reaction", bound);
      return false;
    }
  }
  if (port != kSelfPort && port < promises_.size() && when < promises_[port].until) [[unlikely]] {
    core_->DeclaredBoundViolation(id_, port, when, "its promise", promises_[port].until);
    return false;
  }
  return true;
}

uint32_t Context::MeshSize(PortId port) const {
  const internal::PortBinding& b = bindings_[port];
  return b.mesh == internal::kNoMesh ? 0 : static_cast<uint32_t>(core_->mesh(b.mesh).members.size());
}

void Context::SendBytes(PortId port, uint32_t member, EventType type, const void* payload, size_t size,
                        SimTime extra_delay) {
  const internal::PortBinding& b = bindings_[port];
  if (extra_delay < SimTime::Zero()) [[unlikely]] {
    core_->CausalityViolation(id_, port, core_->now() + extra_delay);
    return;
  }
  Event e;
  e.port = b.target_port;
  e.target = b.target;
  PartitionId partition = b.target_partition;
  SimTime latency = b.latency;
  if (b.mesh != internal::kNoMesh) {
    const internal::MeshRuntime& mesh = core_->mesh(b.mesh);
    if (member >= mesh.members.size()) [[unlikely]] {
      core_->Fail(absl::OutOfRangeError(absl::StrCat("component id ", id_, " port ", port, " sent to mesh member ",
                                                     member, "; the mesh has ", mesh.members.size())));
      return;
    }
    const internal::MeshMember& m = mesh.members[member];
    e.target = m.component;
    e.port = m.port;
    partition = m.partition;
    latency = mesh.latency;
  } else if (member != kNoMember) [[unlikely]] {
    core_->Fail(absl::FailedPreconditionError(
        absl::StrCat("component id ", id_, " used SendTo on port ", port, ", which is a point link, not a mesh")));
    return;
  }
  if ((reactions_ != nullptr || !promises_.empty()) && !CheckDeclared(port, core_->now() + extra_delay)) return;
  e.time = core_->now() + latency + extra_delay;
  e.order = NextOrder();
  e.type = type;
  // Zero the unused tail so that a batch's bytes are a pure function of the run.
  std::memcpy(e.payload, payload, size);
  std::memset(e.payload + size, 0, kEventPayloadBytes - size);
  core_->Deliver(e, partition);
}

void Context::ScheduleBytes(SimTime delay, EventType type, const void* payload, size_t size) {
  if (delay < SimTime::Zero()) [[unlikely]] {
    core_->CausalityViolation(id_, kSelfPort, core_->now() + delay);
    return;
  }
  if (reactions_ != nullptr && !CheckDeclared(kSelfPort, core_->now() + delay)) return;
  Event e;
  e.time = core_->now() + delay;
  e.order = NextOrder();
  e.target = id_;
  e.port = kSelfPort;
  e.type = type;
  std::memcpy(e.payload, payload, size);
  std::memset(e.payload + size, 0, kEventPayloadBytes - size);
  core_->Deliver(e, core_->self());
}

namespace internal {

PartitionCore::PartitionCore(PartitionId self, int partition_count, EventSetKind kind, const Simulation& sim,
                             const std::vector<MeshRuntime>* meshes)
    : self_(self),
      sim_(sim),
      meshes_(meshes),
      set_(MakeEventSet(kind)),
      by_id_(sim.size(), nullptr),
      outboxes_(partition_count) {
  stats_.partition = self;
}

void PartitionCore::Adopt(Component* component, std::vector<PortBinding> bindings, uint64_t seed) {
  auto context = std::make_unique<Context>();
  context->core_ = this;
  context->id_ = component->id();
  context->random_ = RandomStream(seed, component->id());
  const size_t ports = component->port_names().size();
  context->reaction_ports_ = static_cast<uint16_t>(ports + 1);
  reaction_tables_.emplace_back();
  if (!component->declared_reactions().empty()) {
    std::vector<SimTime>& table = reaction_tables_.back();
    table.assign((ports + 1) * (ports + 1), SimTime::Zero());
    for (const Component::Reaction& r : component->declared_reactions()) {
      const size_t row = r.in == kSelfPort ? ports : r.in;
      const size_t column = r.out == kSelfPort ? ports : r.out;
      table[row * (ports + 1) + column] = r.at_least;  // ports checked by ReactionGraph::Build
    }
    context->reactions_ = table.data();
  }
  bindings_.push_back(std::move(bindings));
  context->bindings_ = bindings_.back().data();
  component->context_ = context.get();
  contexts_.push_back(std::move(context));
  by_id_[component->id()] = component;
  local_ids_.push_back(component->id());
  ++stats_.components;
}

void PartitionCore::InitComponents() {
  now_ = SimTime::Zero();
  for (ComponentId id : local_ids_) {
    by_id_[id]->Init();
    if (failed_) return;
  }
}

bool PartitionCore::ProcessBefore(SimTime bound) {
  Event e;
  echo_limit_ = SimTime::Infinite();
  while (set_->PopBefore(std::min(bound, echo_limit_), &e)) {
    --pending_;
    now_ = e.time;
    Component* target = by_id_[e.target];
    if (!target->context_->promises_.empty() && e.port != kSelfPort) [[unlikely]] {
      for (Context::Promise& p : target->context_->promises_) {
        if (p.lapses_on == e.port) p.until = SimTime::Zero();
      }
    }
    current_port_ = e.port;
    target->Handle(e);
    ++target->context_->handled_events_;
    ++committed_;
    if (failed_) [[unlikely]] return false;
    if ((committed_ & 0xFFF) == 0) {
      Publish();
      if (committed_ >= stop_after_events_) [[unlikely]] {
        stopped_ = true;
        break;
      }
    }
  }
  current_port_ = kNoArrival;
  if (committed_ > 0) last_event_time_ = now_;
  Publish();
  return true;
}

bool PartitionCore::AcceptRemote(const std::vector<Event>& events) {
  for (const Event& e : events) {
    if (e.time < now_) [[unlikely]] {
      CausalityViolation(e.source(), e.port, e.time);
      return false;
    }
    set_->Push(e);
    if (++pending_ > stats_.peak_pending_events) stats_.peak_pending_events = pending_;
  }
  return true;
}

void PartitionCore::Fail(absl::Status status) {
  if (failed_) return;
  failed_ = true;
  status_ = std::move(status);
}

void PartitionCore::CausalityViolation(ComponentId component, PortId port, SimTime when) {
  Fail(absl::InternalError(absl::StrCat("causality violation: component '", sim_.component(component).name(),
                                        "' port '", sim_.PortLabel(component, port),
                                        "' scheduled an event at t=", when.ToString(),
                                        ", before the current time t=", now_.ToString(), " of partition ", self_)));
}

void PartitionCore::DeclaredBoundViolation(ComponentId component, PortId port, SimTime when, const char* what,
                                           SimTime bound) {
  const std::string arrival = current_port_ == kSelfPort ? std::string("its own scheduled event")
                                                         : absl::StrCat("an event on port '",
                                                                        sim_.PortLabel(component, current_port_), "'");
  Fail(absl::InternalError(absl::StrCat(
      "causality violation: component '", sim_.component(component).name(), "' ",
      port == kSelfPort ? std::string("scheduled itself an event") : absl::StrCat("sent on port '", sim_.PortLabel(component, port), "'"),
      " at t=", when.ToString(), " while handling ", arrival, " at t=", now_.ToString(), ", before ", what,
      " allows (t=", bound.ToString(), ")")));
}

bool PartitionCore::LivePromise(ComponentId component, PortId port, SimTime* until, PortId* lapses_on) const {
  const Component* c = by_id_[component];
  if (c == nullptr) return false;
  const auto& promises = c->context_->promises_;
  if (port >= promises.size() || promises[port].until <= now_) return false;
  *until = promises[port].until;
  *lapses_on = promises[port].lapses_on;
  return true;
}

uint64_t PartitionCore::HandledEvents(ComponentId id) const {
  const Component* c = by_id_[id];
  return c == nullptr ? 0 : c->context_->handled_events_;
}

void PartitionCore::Publish() {
  live_.committed.store(committed_, std::memory_order_relaxed);
  live_.local_time_ps.store(now_.ps(), std::memory_order_relaxed);
  if (sampler_ != nullptr && std::chrono::steady_clock::now() >= next_sample_) Sample();
  if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) {
    Fail(absl::CancelledError(absl::StrCat("cancelled at simulated time ", now_.ToString())));
  }
}

void PartitionCore::Sample() {
  if (sampler_ == nullptr || !*sampler_) return;
  next_sample_ = std::chrono::steady_clock::now() + sample_interval_;
  (*sampler_)(self_, local_ids_);
}

void PartitionCore::FinalizeStats(double wall_seconds) {
  stats_.committed_events = committed_;
  stats_.wall_seconds = wall_seconds;
  stats_.local_time = last_event_time_;
  stats_.event_set_bytes = set_->MemoryBytes();
  stats_.null_messages_sent = live_.null_messages.load();
  stats_.windows = live_.windows.load();
  stats_.recoveries = live_.floors.load();
  stats_.blocked_seconds = static_cast<double>(live_.blocked_ns.load()) * 1e-9;
}

}  // namespace internal
}  // namespace strata::sim
