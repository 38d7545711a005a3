// Latencies of the links every system's graph uses between its parts. They
// are also the lookahead when a link crosses partitions; the breakdown
// counts them as synchronisation.
#ifndef STRATA_SYSTEMS_CORE_LINKS_H_
#define STRATA_SYSTEMS_CORE_LINKS_H_

#include "strata/sim/time.h"

namespace strata::systems {

// Driver <-> executor: a queue push across cores, ~10 ns.
inline constexpr sim::SimTime kDispatchLatency = sim::SimTime::Nanoseconds(10);
// Executor <-> link or device driver: ~1 ns on-board (or on-die) wire.
inline constexpr sim::SimTime kBoardLatency = sim::SimTime::Nanoseconds(1);
// Controller SoC bus between the NVMe front end and the FTL core, and
// controller to channel sequencer (ssd_system.h's *typical* values).
inline constexpr sim::SimTime kFrontendLink = sim::SimTime::Nanoseconds(20);
inline constexpr sim::SimTime kChannelLink = sim::SimTime::Nanoseconds(10);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CORE_LINKS_H_
