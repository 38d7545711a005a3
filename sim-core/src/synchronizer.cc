#include "src/internal/synchronizer.h"

#include <algorithm>
#include <chrono>

namespace strata::sim::internal {
namespace {

// Measures wall time spent blocked on peers.
class BlockedTimer {
 public:
  explicit BlockedTimer(LiveStats& live) : live_(live), start_(std::chrono::steady_clock::now()) {}
  ~BlockedTimer() {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_);
    live_.blocked_ns.fetch_add(static_cast<uint64_t>(ns.count()), std::memory_order_relaxed);
  }

 private:
  LiveStats& live_;
  std::chrono::steady_clock::time_point start_;
};

// Takes every waiting message into the core. False on a causality error.
bool Drain(PartitionCore& core, Transport& transport, std::vector<PartitionMessage>* scratch,
           std::vector<SimTime>* promise_in) {
  scratch->clear();
  transport.Receive(core.self(), scratch);
  for (PartitionMessage& m : *scratch) {
    if (!core.AcceptRemote(m.events)) return false;
    if (promise_in != nullptr) (*promise_in)[m.from] = std::max((*promise_in)[m.from], m.promise);
  }
  return true;
}

// Sends the partition's outbox for `to` as one batch, lowering *earliest
// to its earliest event.
void SendOutbox(PartitionCore& core, Transport& transport, size_t to, SimTime* earliest) {
  std::vector<Event>& box = core.outboxes()[to];
  if (box.empty()) return;
  for (const Event& e : box) *earliest = std::min(*earliest, e.time);
  PartitionMessage m;
  m.from = core.self();
  m.to = static_cast<PartitionId>(to);
  m.events.swap(box);
  transport.Send(std::move(m));
  ++core.stats().messages_sent;
}

std::optional<SimTime> Stop(Transport& transport) {
  transport.Abort();
  return std::nullopt;
}

// Windows with per-partition bounds (YAWNS, sharpened by the lookahead
// graph). At each barrier every partition contributes a vector: its next
// local event at its own index, and at each other index the earliest event
// it just sent there, so events in flight count where they will run and no
// second barrier is needed. The elementwise minimum N gives each partition
// p the bound min over q != p of N[q] + D(q -> p), D the shortest lookahead
// path: nothing any other partition holds can reach p sooner. Within the
// batch p also stops before the earliest time an answer to its own sends
// could return (PartitionCore's return distances). With one global lookahead
// L every bound is at least min(N) + L, the classic window; when peers are
// idle or far away a partition runs on to its next send.
class WindowSynchronizer final : public Synchronizer {
 public:
  WindowSynchronizer(PartitionCore& core, Transport& transport, const LookaheadTable& lookahead, SimTime end_time)
      : core_(core), transport_(transport), end_time_(end_time) {
    const int n = lookahead.count();
    distance_to_self_.resize(n);
    for (int q = 0; q < n; ++q) {
      distance_to_self_[q] = lookahead.Distance(static_cast<PartitionId>(q), core.self());
    }
    std::vector<SimTime> return_distance = distance_to_self_;
    return_distance[core.self()] = SimTime::Infinite();  // nothing is sent to itself
    core.SetReturnDistances(std::move(return_distance));
  }

  std::optional<SimTime> NextBound() override {
    std::vector<SimTime> earliest(distance_to_self_.size(), SimTime::Infinite());
    earliest[core_.self()] = core_.NextTime();
    for (size_t p = 0; p < earliest.size(); ++p) SendOutbox(core_, transport_, p, &earliest[p]);
    std::optional<std::vector<SimTime>> next;
    {
      BlockedTimer timer(core_.live());
      next = transport_.AllReduceMin(core_.self(), std::move(earliest));
    }
    if (!next || next->size() != distance_to_self_.size()) return Stop(transport_);
    if (!Drain(core_, transport_, &scratch_, nullptr)) return Stop(transport_);
    core_.live().windows.fetch_add(1, std::memory_order_relaxed);
    if (*std::min_element(next->begin(), next->end()) >= end_time_) {
      transport_.Leave(core_.self());
      return std::nullopt;
    }
    SimTime bound = end_time_;
    for (size_t q = 0; q < next->size(); ++q) {
      if (q != core_.self()) bound = std::min(bound, SaturatingAdd((*next)[q], distance_to_self_[q]));
    }
    return bound;
  }

 private:
  PartitionCore& core_;
  Transport& transport_;
  SimTime end_time_;
  std::vector<SimTime> distance_to_self_;  // D(q -> self) by q
  std::vector<PartitionMessage> scratch_;
};

// Windows with lookahead from the models (ReactionGraph). Each partition q
// contributes a row X_q: X_q[r] = the earliest its pending events and live
// promises can deliver anything to r, given no new input (a Dijkstra over
// its ports, reactions and promises), plus one shared row O of what is in
// flight (O[r]: the earliest event just sent to r) and its next event time
// (for the end of the run). Rows are kept apart (the reduced vector is
// (n + 1) x n + 1 long) because p must leave its own row out: its own
// events' echoes are bounded inside the batch (return distances), and
// counting them here too would halve its window. Then p's bound is
//   min( X_q[p], O[p], min over r != p of (min(X_q[r], O[r]) + D(r -> p)) )
// over q != p, D the shortest path through reactions and links.
class ModelWindowSynchronizer final : public Synchronizer {
 public:
  ModelWindowSynchronizer(PartitionCore& core, Transport& transport, ReactionGraph& graph, SimTime end_time)
      : core_(core), transport_(transport), graph_(graph), end_time_(end_time), n_(graph.partitions()) {
    std::vector<SimTime> return_distance(n_);
    for (int r = 0; r < n_; ++r) return_distance[r] = graph.Distance(static_cast<PartitionId>(r), core.self());
    return_distance[core.self()] = SimTime::Infinite();
    core.SetReturnDistances(std::move(return_distance));
  }

  std::optional<SimTime> NextBound() override {
    const size_t n = static_cast<size_t>(n_);
    std::vector<SimTime> contribution((n + 1) * n + 1, SimTime::Infinite());
    graph_.EarliestDeliveries(
        core_.self(), [&](absl::FunctionRef<void(const Event&)> visit) { core_.ForEachPending(visit); },
        [&](ComponentId c, PortId port, ReactionGraph::LivePromise* out) {
          return core_.LivePromise(c, port, &out->until, &out->lapses_on);
        },
        &row_);
    std::copy(row_.begin(), row_.end(), contribution.begin() + core_.self() * n);
    contribution[core_.self() * n + core_.self()] = SimTime::Infinite();
    for (size_t p = 0; p < n; ++p) SendOutbox(core_, transport_, p, &contribution[n * n + p]);
    contribution.back() = core_.NextTime();
    std::optional<std::vector<SimTime>> reduced;
    {
      BlockedTimer timer(core_.live());
      reduced = transport_.AllReduceMin(core_.self(), std::move(contribution));
    }
    if (!reduced || reduced->size() != (n + 1) * n + 1) return Stop(transport_);
    if (!Drain(core_, transport_, &scratch_, nullptr)) return Stop(transport_);
    core_.live().windows.fetch_add(1, std::memory_order_relaxed);
    const std::vector<SimTime>& m = *reduced;
    SimTime pending_anywhere = m.back();
    for (size_t r = 0; r < n; ++r) pending_anywhere = std::min(pending_anywhere, m[n * n + r]);
    if (pending_anywhere >= end_time_) {
      transport_.Leave(core_.self());
      return std::nullopt;
    }
    const auto self = static_cast<PartitionId>(core_.self());
    const SimTime bound = BoundOf(self, m);
    // Events just received can bind another partition q (q's bound is
    // their time plus D(self -> q): handling one might answer at once).
    // Once self has handled them, its promises usually free q; so self
    // stops its batch right after them and meets q at a second, short
    // barrier, instead of running a long batch while q waits for it.
    const SimTime received = m[n * n + self];
    if (received < bound) {
      for (int q = 0; q < n_; ++q) {
        if (q == self) continue;
        const SimTime via_self = SaturatingAdd(received, graph_.Distance(self, static_cast<PartitionId>(q)));
        if (via_self <= BoundOf(static_cast<PartitionId>(q), m)) return received + SimTime::Picoseconds(1);
      }
    }
    return bound;
  }

 private:
  // p's bound from the reduced vector: the earliest anything can reach p,
  // directly from another partition's row, or in flight to some r != p or
  // from another row to r, then on to p along D(r -> p). Events in flight
  // to p itself are p's own pending events by now (drained): they bound
  // nothing, and their echoes are p's batch's return limit.
  SimTime BoundOf(PartitionId p, const std::vector<SimTime>& m) const {
    const size_t n = static_cast<size_t>(n_);
    SimTime bound = end_time_;
    for (size_t r = 0; r < n; ++r) {
      SimTime into_r = r == p ? SimTime::Infinite() : m[n * n + r];
      for (size_t q = 0; q < n; ++q) {
        if (q != p) into_r = std::min(into_r, m[q * n + r]);
      }
      bound = std::min(bound, r == p ? into_r : SaturatingAdd(into_r, graph_.Distance(static_cast<PartitionId>(r), p)));
    }
    return bound;
  }

  PartitionCore& core_;
  Transport& transport_;
  ReactionGraph& graph_;
  SimTime end_time_;
  int n_;
  std::vector<SimTime> row_;
  std::vector<PartitionMessage> scratch_;
};

// Chandy-Misra-Bryant null messages. Every partition keeps, per input
// neighbour, the promise it last heard; it may run events below the smallest.
// Its own lower bound is min(next local event, smallest promise held); it
// promises each output neighbour j that bound + lookahead(self -> j), and
// sends a promise only when it grew (or with events).
class NullMessageSynchronizer final : public Synchronizer {
 public:
  NullMessageSynchronizer(PartitionCore& core, Transport& transport, const LookaheadTable& lookahead,
                          SimTime end_time)
      : core_(core), transport_(transport), end_time_(end_time) {
    const int n = lookahead.count();
    promise_in_.assign(n, SimTime::Infinite());
    last_promise_out_.assign(n, SimTime::Zero());
    for (int p = 0; p < n; ++p) {
      if (p == core.self()) continue;
      const SimTime in = lookahead.Get(static_cast<PartitionId>(p), core.self());
      if (!in.IsInfinite()) {
        inputs_.emplace_back(static_cast<PartitionId>(p), in);
        promise_in_[p] = SimTime::Zero();
      }
      const SimTime out = lookahead.Get(core.self(), static_cast<PartitionId>(p));
      if (!out.IsInfinite()) outputs_.emplace_back(static_cast<PartitionId>(p), out);
      step_ = std::min(step_, out);
    }
  }

  std::optional<SimTime> NextBound() override {
    for (;;) {
      if (!Drain(core_, transport_, &scratch_, &promise_in_)) return Stop();
      SimTime safe = end_time_;
      for (const auto& [p, lookahead] : inputs_) safe = std::min(safe, promise_in_[p]);
      const SimTime next = core_.NextTime();
      const SimTime bound = std::min(next, safe);
      SendPromises(bound);
      if (next >= end_time_ && safe >= end_time_) {
        transport_.Leave(core_.self());
        return std::nullopt;
      }
      // Run at most one lookahead past the next event before promising
      // again. Without this cap the partitions fall into a leapfrog: the one
      // ahead waits for the whole of the other's batch (up to 2L wide)
      // because the promise sent at the batch's start (next + L) is too
      // weak, then the roles swap, and they alternate instead of overlapping
      // (measured: each blocked half the time on PHOLD, 0.86x one partition).
      if (next < safe) return std::min(safe, SaturatingAdd(next, step_));
      WaitResult r;
      SimTime floor;
      {
        BlockedTimer timer(core_.live());
        r = transport_.Wait(core_.self(), next, &floor);
      }
      if (r == WaitResult::kFloor) {
        // Every partition with events is blocked: nothing anywhere is earlier
        // than `floor`, so each input's messages will be >= floor + its lookahead.
        for (const auto& [from, lookahead] : inputs_) {
          promise_in_[from] = std::max(promise_in_[from], std::min(SaturatingAdd(floor, lookahead), end_time_));
        }
        core_.live().floors.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (r == WaitResult::kQuiescent) {
        transport_.Leave(core_.self());
        return std::nullopt;
      }
      if (r == WaitResult::kAborted) return Stop();
    }
  }

 private:
  void SendPromises(SimTime bound) {
    auto& outboxes = core_.outboxes();
    for (const auto& [to, lookahead] : outputs_) {
      const SimTime promise = std::min(SaturatingAdd(bound, lookahead), end_time_);
      std::vector<Event>& box = outboxes[to];
      if (box.empty() && promise <= last_promise_out_[to]) continue;
      PartitionMessage m;
      m.from = core_.self();
      m.to = to;
      m.promise = std::max(promise, last_promise_out_[to]);
      m.events.swap(box);
      if (m.events.empty()) core_.live().null_messages.fetch_add(1, std::memory_order_relaxed);
      last_promise_out_[to] = m.promise;
      transport_.Send(std::move(m));
      ++core_.stats().messages_sent;
    }
  }
  std::optional<SimTime> Stop() {
    transport_.Abort();
    return std::nullopt;
  }

  PartitionCore& core_;
  Transport& transport_;
  SimTime end_time_;
  SimTime step_ = SimTime::Infinite();  // smallest lookahead to any output
  std::vector<std::pair<PartitionId, SimTime>> inputs_;  // (from, lookahead from -> self)
  std::vector<std::pair<PartitionId, SimTime>> outputs_;
  std::vector<SimTime> promise_in_;
  std::vector<SimTime> last_promise_out_;
  std::vector<PartitionMessage> scratch_;
};

}  // namespace

std::unique_ptr<Synchronizer> MakeSynchronizer(SyncAlgorithm algorithm, PartitionCore& core,
                                               Transport& transport, const LookaheadTable& lookahead,
                                               ReactionGraph* reactions, SimTime end_time) {
  if (algorithm == SyncAlgorithm::kNullMessage) {
    return std::make_unique<NullMessageSynchronizer>(core, transport, lookahead, end_time);
  }
  if (reactions != nullptr) return std::make_unique<ModelWindowSynchronizer>(core, transport, *reactions, end_time);
  return std::make_unique<WindowSynchronizer>(core, transport, lookahead, end_time);
}

}  // namespace strata::sim::internal
