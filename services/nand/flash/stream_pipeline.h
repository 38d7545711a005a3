// StreamPipeline: a die's read or GEMV pipeline evaluated as a recurrence
// instead of events (STREAM fidelity), with the steady state skipped in one
// jump.
//
// Per step s (all of the command's planes in lockstep):
//   array start a_s = t0 for s = 0, else the move time c_{s-1} (cache read)
//                     or the time the cache registers emptied f_{s-1};
//   array end   e_s = a_s + step time (the slowest plane's);
//   move        c_s = max(e_s, f_{s-1})  (page -> cache registers);
//   then per plane in order: read: ECCLITE FIFO (one decoder), then the bus
//   FIFO (this die alone on the channel); GEMV: its PE array's FIFO for
//   max(ECC, PE); f_s = when the last of the step's planes is done.
// These are the PAGE pipeline's rules (nand_die.h); the PAGE events and this
// recurrence give the same times to the picosecond.
//
// Why the jump is exact: every update is a max of sums, so shifting the
// whole state by d shifts the next state by d. Resource times below a_s are
// only ever read through max(., value >= a_s), so lifting them to a_s changes
// nothing. Step times repeat with the page-type period P for s >= 1. Hence
// once the lifted state minus a_s at step s equals that at step s - P, every
// later period repeats the last one shifted by a_s - a_{s-P}: the remaining
// whole periods are added at once. A 70B model's FFN is millions of pages
// per token, all in runs of hundreds: this makes a run O(transient + P)
// instead of O(pages).
#ifndef STRATA_NAND_FLASH_STREAM_PIPELINE_H_
#define STRATA_NAND_FLASH_STREAM_PIPELINE_H_

#include <cstdint>
#include <vector>

#include "strata/sim/time.h"

namespace strata::nand {

struct StreamPipelineShape {
  bool gemv = false;        // planes feed PE arrays; else ECCLITE (optional) and the bus
  bool ecclite = false;     // reads: one ECCLITE decoder per die before the bus
  bool cache_read = false;  // the array reads step s+1 while step s drains
  // GEMV: the PE array each of the command's planes feeds, in plane order;
  // its size is the plane count (reads use only the size).
  std::vector<uint32_t> unit_of_plane;
  uint32_t units = 1;
  sim::SimTime decode;   // ECCLITE per page
  sim::SimTime xfer;     // one page over the bus
  sim::SimTime compute;  // a page's hold on its PE array
};

struct StreamSteps {
  uint32_t count = 0;
  sim::SimTime first;  // step 0's array time
  // Step s >= 1 takes periodic[s % periodic.size()].
  std::vector<sim::SimTime> periodic;
};

struct StreamTiming {
  sim::SimTime end;             // when the last step's planes are done
  uint32_t steps_simulated = 0;  // steps evaluated one by one (the rest were jumped)
};

// Runs `steps` from t0. `skip_periods = false` evaluates every step (the
// reference the tests compare the jump against).
StreamTiming RunStreamPipeline(const StreamPipelineShape& shape, sim::SimTime t0, const StreamSteps& steps,
                               bool skip_periods = true);

}  // namespace strata::nand

#endif  // STRATA_NAND_FLASH_STREAM_PIPELINE_H_
