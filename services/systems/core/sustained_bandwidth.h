// Sustained read bandwidth of a memory, as a fraction of its peak (wire)
// rate: decode streams every weight once per token, so a roofline over a
// memory's peak (data rate x bus width) overstates what a CPU, GPU or
// engine reaches. One rule per memory type, from a published measurement of
// a read stream; every DRAM, LPDDR and HBM in the catalog takes its type's
// rule unless its spec sets sustained_fraction.
#ifndef STRATA_SYSTEMS_CORE_SUSTAINED_BANDWIDTH_H_
#define STRATA_SYSTEMS_CORE_SUSTAINED_BANDWIDTH_H_

#include "strata/v1/job.pb.h"

namespace strata::systems {

// Desktop DDR5 (dual channel): AIDA64 memory read of ~90 GB/s on an
// i5-12600K with DDR5-6400 (peak 2 x 64 bit x 6400 MT/s = 102.4 GB/s), as
// reported by The FPS Review, 2021-09-13 ("Leaked benchmark teases DDR5
// memory performance on 12th Gen Intel Core"): 90 / 102.4 = 0.88. The
// i9-14900KS has the same memory controller generation (Raptor Lake, a
// refresh of Alder Lake's).
inline constexpr double kDdr5SustainedFraction = 0.88;
inline constexpr char kDdr5SustainedSource[] =
    "measured: AIDA64 read ~90 of 102.4 GB/s peak, i5-12600K + DDR5-6400 (The FPS Review, 2021-09-13); "
    "sustained = peak x 0.88";

// HBM2e: a read kernel on an A100 80GB SXM reaches 1.80 of the 2.04 TB/s
// datasheet rate, Nsight Compute agreeing at 88% of peak; the best kernels
// in NVIDIA's GTC 2025 memory talk reach ~90% (NVIDIA developer forum,
// "Trouble to reach peak bandwidth of A100", thread 339083). The A800 has
// the A100's memory system.
inline constexpr double kHbm2eSustainedFraction = 0.88;
inline constexpr char kHbm2eSustainedSource[] =
    "measured: read kernel 1.80 of 2.04 TB/s on an A100 80GB SXM, 88% in Nsight Compute (NVIDIA forum thread "
    "339083); the A800 shares the A100's HBM2e system";

// LPDDR5: no read-only measurement of an edge LPDDR5 part was found. TI's
// STREAM on AM62x (SPRAD45A, Table 3-3) measures LPDDR4 triad at 67% and
// DDR4 at 74-78% of the wire rate, copy and triad mixing reads and writes
// (bus turnarounds), so a lower bound on a read stream. We take DDR5's
// read-stream rule (0.88) and carry TI's 0.67 as the bound in the tornado.
inline constexpr double kLpddr5SustainedFraction = 0.88;
inline constexpr char kLpddr5SustainedSource[] =
    "assumption: DDR5's measured read-stream rule (0.88); TI SPRAD45A's STREAM triad on LPDDR4, 67% of wire "
    "rate with reads and writes mixed, is a lower bound";

// Bytes per second a streaming read reaches on `dram`: bandwidth_gbps x
// sustained_fraction (an unnormalised spec's 0 reads as 1: peak).
double SustainedBytesPerSecond(const v1::Dram& dram);
// The same for a GPU's HBM.
double SustainedHbmBytesPerSecond(const v1::Gpu& gpu);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CORE_SUSTAINED_BANDWIDTH_H_
