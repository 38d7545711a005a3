// Analytical write-amplification models for uniform random single-page
// writes, used to check the FTL and to answer "what does pinning IFP blocks
// cost" without a simulation.
//
// Notation: T physical pages that hold user data, U logical (user) pages,
// spare factor S_f = (T - U) / T (Desnoyers), alpha = T / U = 1 / (1 - S_f),
// b pages per block. WA = programs / host writes.
#ifndef STRATA_CONTROLLER_FTL_WA_MODEL_H_
#define STRATA_CONTROLLER_FTL_WA_MODEL_H_

#include <cstdint>

namespace strata::controller {

// Greedy GC, many blocks, b pages per block (the mean-field / "large system"
// flow balance of Bux & Iliadis, "Performance of greedy garbage collection in
// flash-based solid-state drives", Perform. Eval. 67(11), 2010):
// each host write invalidates a uniformly chosen valid page, so a block with
// j valid pages loses one at rate j / U per host write. In steady state a
// block is born full (b valid) and greedy collects blocks only at the lowest
// occupied level v (fractional v = v* + 1 - p: a share p of victims decays to
// v*, the rest are taken at v* + 1). Balancing the flow r = 1 / (b - v) of
// blocks per host write through every level j > v gives m_j = r U / j blocks
// at level j; the blocks must number T / b:
//     b (H_b - H(v)) / (b - v) = alpha,     WA = b / (b - v),
// with H the harmonic numbers, linearly interpolated between integers.
double GreedyUniformWa(double spare_factor, uint32_t pages_per_block);

// Its b -> infinity limit, where greedy and LRW (FIFO) coincide: Desnoyers,
// "Analytic Modeling of SSD Write Performance", SYSTOR 2012:
//     WA = 1 / (1 - x),   x = exp(-alpha (1 - x)),   0 < x < 1.
double LrwUniformWa(double spare_factor);

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_FTL_WA_MODEL_H_
