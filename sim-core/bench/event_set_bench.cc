// Microbenchmarks of the pending-event sets on the classic "hold" model
// (Jones, CACM 1986): keep N events pending; each step pops the earliest
// and pushes one at its time + Exp(mean). Reports steps per second.
//   build/bin/strata-event-set-bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include "strata/sim/event_set.h"
#include "strata/sim/random.h"

namespace strata::sim {
namespace {

void BM_Hold(benchmark::State& state, EventSetKind kind) {
  const auto pending = static_cast<size_t>(state.range(0));
  auto set = MakeEventSet(kind);
  RandomStream rng(1, 1);
  uint64_t order = 0;
  for (size_t i = 0; i < pending; ++i) {
    Event e{};
    e.time = SimTime::Picoseconds(static_cast<int64_t>(rng.Exponential(1e6)));
    e.order = order++;
    set->Push(e);
  }
  Event e;
  for (auto _ : state) {
    set->PopBefore(SimTime::Infinite(), &e);
    e.time = e.time + SimTime::Picoseconds(static_cast<int64_t>(rng.Exponential(1e6)));
    e.order = order++;
    set->Push(e);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_pending"] = static_cast<double>(set->MemoryBytes()) / static_cast<double>(pending);
}

BENCHMARK_CAPTURE(BM_Hold, heap4, EventSetKind::kQuaternaryHeap)->Arg(1 << 10)->Arg(1 << 14)->Arg(1 << 18);
BENCHMARK_CAPTURE(BM_Hold, heap4_inline, EventSetKind::kInlineQuaternaryHeap)->Arg(1 << 10)->Arg(1 << 14)->Arg(1 << 18);
BENCHMARK_CAPTURE(BM_Hold, calendar, EventSetKind::kCalendarQueue)->Arg(1 << 10)->Arg(1 << 14)->Arg(1 << 18);

}  // namespace
}  // namespace strata::sim
