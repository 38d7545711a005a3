#include "strata/sim/engine.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "src/internal/partition_core.h"
#include "src/internal/reaction_graph.h"
#include "src/internal/synchronizer.h"
#include "strata/sim/digest.h"
#include "strata/sim/transport.h"

namespace strata::sim {

absl::StatusOr<SyncAlgorithm> ParseSyncAlgorithm(std::string_view name) {
  if (name == "window") return SyncAlgorithm::kWindow;
  if (name == "null") return SyncAlgorithm::kNullMessage;
  return absl::InvalidArgumentError(
      absl::StrCat("sync = '", absl::string_view(name.data(), name.size()), "'; allowed: window, null"));
}

std::string_view SyncAlgorithmName(SyncAlgorithm sync) {
  return sync == SyncAlgorithm::kWindow ? "window" : "null";
}

std::string RunResult::digest_hex() const { return DigestToHex(digest); }

uint64_t CombineDigest(const std::vector<uint64_t>& component_digests, SimTime final_time,
                       uint64_t committed_events) {
  DigestBuilder d;
  for (uint64_t c : component_digests) d.Add(c);
  d.Add(final_time).Add(committed_events);
  return d.value();
}

namespace {

using internal::MeshRuntime;
using internal::PartitionCore;
using internal::PortBinding;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

absl::Status CheckOptions(const RunOptions& o) {
  if (o.partitions < 1 || o.partitions > kMaxPartitions) {
    return absl::InvalidArgumentError(
        absl::StrCat("partitions = ", o.partitions, "; allowed: 1 to ", kMaxPartitions));
  }
  if (o.end_time < SimTime::Zero()) {
    return absl::InvalidArgumentError(absl::StrCat("end_time = ", o.end_time.ToString(), "; allowed: >= 0"));
  }
  if (o.progress_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("progress_interval must be positive");
  }
  if (o.sample_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("sample_interval must be >= 0 (0: sample between every batch)");
  }
  if (o.stop_after_events != 0 && o.partitions != 1) {
    return absl::InvalidArgumentError(absl::StrCat("stop_after_events = ", o.stop_after_events, " with partitions = ",
                                                   o.partitions, "; a pilot run needs partitions = 1"));
  }
  if (o.plan && (o.plan->partition_count != o.partitions)) {
    return absl::InvalidArgumentError(absl::StrCat("plan.partition_count = ", o.plan->partition_count,
                                                   " but partitions = ", o.partitions, "; they must match"));
  }
  return absl::OkStatus();
}

std::vector<PortBinding> BindPorts(const Simulation& sim, const PartitionPlan& plan, ComponentId id) {
  const Component& c = sim.component(id);
  std::vector<PortBinding> bindings(c.port_names().size());
  for (PortId p = 0; p < bindings.size(); ++p) {
    const Simulation::PortUse& use = sim.port_use(id, p);
    PortBinding& b = bindings[p];
    if (use.kind == Simulation::PortUse::kMesh) {
      b.mesh = use.index;
      continue;
    }
    const Link& link = sim.links()[use.index];
    const bool from_a = link.a == id && link.a_port == p;
    b.target = from_a ? link.b : link.a;
    b.target_port = from_a ? link.b_port : link.a_port;
    b.target_partition = plan.partition_of[b.target];
    b.latency = link.latency;
  }
  return bindings;
}

// Samples the partitions' live counters on a wall-clock interval.
class Monitor {
 public:
  Monitor(const RunOptions& options, std::vector<std::unique_ptr<PartitionCore>>& cores)
      : options_(options), cores_(cores), start_(std::chrono::steady_clock::now()) {
    if (options.on_progress || options.metrics != nullptr) thread_ = std::thread([this] { Loop(); });
  }
  ~Monitor() { Stop(); }
  // Stops sampling and sends one last report, so sinks see the final figures
  // even of a run shorter than one interval.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (done_) return;
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
      thread_.join();
      Report();
    }
  }

 private:
  void Loop() {
    const auto interval = absl::ToChronoNanoseconds(options_.progress_interval);
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, interval, [&] { return done_; })) Report();
  }
  void Report() {
    ProgressSnapshot s;
    s.wall_seconds = SecondsSince(start_);
    s.simulated_time = SimTime::Infinite();
    for (auto& core : cores_) {
      PartitionStats p;
      p.partition = core->self();
      p.committed_events = core->live().committed.load(std::memory_order_relaxed);
      p.local_time = SimTime::Picoseconds(core->live().local_time_ps.load(std::memory_order_relaxed));
      p.null_messages_sent = core->live().null_messages.load(std::memory_order_relaxed);
      p.windows = core->live().windows.load(std::memory_order_relaxed);
      p.blocked_seconds = static_cast<double>(core->live().blocked_ns.load(std::memory_order_relaxed)) * 1e-9;
      p.wall_seconds = s.wall_seconds;
      s.committed_events += p.committed_events;
      s.simulated_time = std::min(s.simulated_time, p.local_time);
      s.partitions.push_back(p);
    }
    if (options_.on_progress) options_.on_progress(s);
    if (options_.metrics != nullptr) options_.metrics->OnProgress(s);
  }

  const RunOptions& options_;
  std::vector<std::unique_ptr<PartitionCore>>& cores_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

void RunPartition(PartitionCore& core, Transport& transport, const LookaheadTable& lookahead,
                  internal::ReactionGraph* reactions, const RunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  core.InitComponents();
  if (core.failed()) {
    transport.Abort();
  } else {
    auto sync = internal::MakeSynchronizer(options.sync, core, transport, lookahead, reactions, options.end_time);
    while (auto bound = sync->NextBound()) {
      core.Publish();  // also notices cancellation between batches
      if (core.failed() || !core.ProcessBefore(*bound)) {
        transport.Abort();
        break;
      }
      if (core.stopped()) break;  // a pilot run: one partition, nobody waits
    }
  }
  core.Sample();  // the final state, for live metrics
  core.FinalizeStats(SecondsSince(start));
}

}  // namespace

SyncCost SyncCostOf(const std::vector<PartitionStats>& partitions) {
  SyncCost cost;
  double blocked = 0, wall = 0;
  for (const PartitionStats& p : partitions) {
    cost.windows = std::max(cost.windows, p.windows);
    cost.null_messages += p.null_messages_sent;
    cost.messages += p.messages_sent;
    blocked += p.blocked_seconds;
    wall += p.wall_seconds;
  }
  cost.blocked_fraction = wall > 0 ? std::min(1.0, blocked / wall) : 0;
  return cost;
}

absl::StatusOr<PartitionPlan> ResolvePlan(const Simulation& sim, const RunOptions& options) {
  if (!options.plan) return PartitionByGroup(sim, options.partitions);
  const PartitionPlan& plan = *options.plan;
  if (plan.partition_of.size() != sim.size()) {
    return absl::InvalidArgumentError(absl::StrCat("plan.partition_of has ", plan.partition_of.size(),
                                                   " entries; the graph has ", sim.size(), " components"));
  }
  for (PartitionId p : plan.partition_of) {
    if (p >= plan.partition_count) {
      return absl::InvalidArgumentError(
          absl::StrCat("plan assigns partition ", p, "; allowed: 0 to ", plan.partition_count - 1));
    }
  }
  return plan;
}

struct PartitionRunner::State {
  std::vector<MeshRuntime> meshes;
  std::vector<std::unique_ptr<PartitionCore>> cores;  // local partitions only
  std::unique_ptr<LookaheadTable> lookahead;
  std::unique_ptr<internal::ReactionGraph> reactions;  // null: no component declared one
};

PartitionRunner::PartitionRunner(Simulation& sim, const RunOptions& options)
    : sim_(sim), options_(options), state_(std::make_unique<State>()) {}
PartitionRunner::~PartitionRunner() = default;

absl::StatusOr<std::unique_ptr<PartitionRunner>> PartitionRunner::Create(Simulation& sim, const RunOptions& options,
                                                                         const PartitionPlan& plan,
                                                                         const std::vector<PartitionId>& local) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  if (sim.consumed()) {
    return absl::FailedPreconditionError("this Simulation has already run; build a new one for another run");
  }
  if (absl::Status s = sim.Validate(); !s.ok()) return s;
  if (absl::Status s = CheckCrossPartitionLatency(sim, plan); !s.ok()) return s;
  for (PartitionId p : local) {
    if (p >= plan.partition_count) {
      return absl::InvalidArgumentError(
          absl::StrCat("local partition ", p, "; allowed: 0 to ", plan.partition_count - 1));
    }
  }
  auto reactions = internal::ReactionGraph::Build(sim, plan);
  if (!reactions.ok()) return reactions.status();
  sim.MarkConsumed();
  std::unique_ptr<PartitionRunner> runner(new PartitionRunner(sim, options));
  State& st = *runner->state_;
  st.lookahead = std::make_unique<LookaheadTable>(sim, plan);
  st.reactions = std::move(*reactions);
  for (const Mesh& mesh : sim.meshes()) {
    MeshRuntime m{mesh.latency, {}};
    for (const auto& [id, port] : mesh.members) m.members.push_back({id, port, plan.partition_of[id]});
    st.meshes.push_back(std::move(m));
  }
  std::vector<int> core_of(plan.partition_count, -1);
  for (PartitionId p : local) {
    core_of[p] = static_cast<int>(st.cores.size());
    st.cores.push_back(std::make_unique<PartitionCore>(p, plan.partition_count, options.event_set, sim, &st.meshes));
    st.cores.back()->set_cancel(options.cancel);
    st.cores.back()->set_stop_after_events(options.stop_after_events);
    if (runner->options_.on_sample) {  // the runner's copy outlives this call
      st.cores.back()->set_sampler(&runner->options_.on_sample, absl::ToChronoNanoseconds(options.sample_interval));
    }
  }
  for (ComponentId id = 0; id < sim.size(); ++id) {
    const int core = core_of[plan.partition_of[id]];
    if (core < 0) continue;  // runs elsewhere
    st.cores[core]->Adopt(&sim.component(id), BindPorts(sim, plan, id), options.seed);
    runner->local_components_.push_back(id);
  }
  return runner;
}

absl::Status PartitionRunner::Run(Transport& transport) {
  State& st = *state_;
  {
    Monitor monitor(options_, st.cores);
    if (st.cores.size() == 1) {
      RunPartition(*st.cores[0], transport, *st.lookahead, st.reactions.get(), options_);
    } else {
      std::vector<std::thread> threads;
      for (auto& core : st.cores) {
        threads.emplace_back([&, c = core.get()] { RunPartition(*c, transport, *st.lookahead, st.reactions.get(), options_);
        });
      }
      for (auto& t : threads) t.join();
    }
  }
  for (auto& core : st.cores) {
    if (core->failed()) return core->status();
  }
  return absl::OkStatus();
}

std::vector<PartitionStats> PartitionRunner::stats() const {
  std::vector<PartitionStats> out;
  for (const auto& core : state_->cores) out.push_back(core->stats());
  return out;
}

SimTime PartitionRunner::local_final_time() const {
  SimTime t = SimTime::Zero();
  for (const auto& core : state_->cores) t = std::max(t, core->stats().local_time);
  return t;
}

uint64_t PartitionRunner::local_committed_events() const {
  uint64_t n = 0;
  for (const auto& core : state_->cores) n += core->stats().committed_events;
  return n;
}

std::vector<std::pair<ComponentId, uint64_t>> PartitionRunner::local_events_by_component() const {
  std::vector<std::pair<ComponentId, uint64_t>> events;
  events.reserve(local_components_.size());
  for (const auto& core : state_->cores) {
    for (ComponentId id : core->local_components()) events.emplace_back(id, core->HandledEvents(id));
  }
  std::sort(events.begin(), events.end());
  return events;
}

bool PartitionRunner::stopped() const {
  for (const auto& core : state_->cores) {
    if (core->stopped()) return true;
  }
  return false;
}

std::vector<std::pair<ComponentId, uint64_t>> PartitionRunner::FinishAndDigest(SimTime global_final_time) {
  // Every clock at the global final time, so end-of-run statistics do not
  // depend on the partitioning; components in id order.
  for (auto& core : state_->cores) core->set_now(global_final_time);
  std::vector<std::pair<ComponentId, uint64_t>> digests;
  for (ComponentId id : local_components_) {
    Component& c = sim_.component(id);
    c.Finish();
    DigestBuilder d;
    d.Add(c.name());
    c.AddToDigest(d);
    digests.emplace_back(id, d.value());
  }
  return digests;
}

absl::StatusOr<RunResult> Run(Simulation& sim, const RunOptions& options) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  if (sim.consumed()) {
    return absl::FailedPreconditionError("this Simulation has already run; build a new one for another run");
  }
  if (absl::Status s = sim.Validate(); !s.ok()) return s;
  auto plan = ResolvePlan(sim, options);
  if (!plan.ok()) return plan.status();
  std::vector<PartitionId> all(plan->partition_count);
  for (int p = 0; p < plan->partition_count; ++p) all[p] = static_cast<PartitionId>(p);
  auto runner = PartitionRunner::Create(sim, options, *plan, all);
  if (!runner.ok()) return runner.status();
  InProcessTransport transport(plan->partition_count, SpinPolicy::For(plan->partition_count));
  const auto start = std::chrono::steady_clock::now();
  if (absl::Status s = (*runner)->Run(transport); !s.ok()) return s;
  RunResult result;
  result.wall_seconds = SecondsSince(start);
  result.sync = options.sync;
  result.partitions = (*runner)->stats();
  result.committed_events = (*runner)->local_committed_events();
  result.final_time = (*runner)->local_final_time();
  result.stopped = (*runner)->stopped();
  result.events_by_component.assign(sim.size(), 0);
  for (const auto& [id, events] : (*runner)->local_events_by_component()) result.events_by_component[id] = events;
  std::vector<uint64_t> digests;
  digests.reserve(sim.size());
  for (const auto& [id, digest] : (*runner)->FinishAndDigest(result.final_time)) digests.push_back(digest);
  result.digest = CombineDigest(digests, result.final_time, result.committed_events);
  return result;
}

}  // namespace strata::sim
