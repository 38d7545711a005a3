// RooflineTime by hand: an op takes the longer of its compute time (at the
// matrix peak for GEMV and attention, at the vector rate for element-wise
// ops) and its memory time; the two overlap.
#include "compute/roofline_executor.h"

#include <gtest/gtest.h>

namespace strata::host {
namespace {

RooflineConfig Host() {
  RooflineConfig c;
  c.peak_flops = 2e12;    // 2 TFLOP/s
  c.vector_flops = 2e11;  // 200 GFLOP/s
  c.memory_bytes_per_second = 1e11;  // 100 GB/s
  return c;
}

Op MakeOp(OpKind kind, int64_t flops, int64_t weight_bytes, int64_t memory_bytes) {
  Op op;
  op.kind = kind;
  op.flops = flops;
  op.weight_bytes = weight_bytes;
  op.memory_bytes = memory_bytes;
  return op;
}

TEST(RooflineTest, ComputeRunsAtTheMatrixPeakOrTheVectorRateByOpKind) {
  // 1e6 FLOPs, no bytes: 0.5 us on the matrix units, 5 us as element-wise.
  EXPECT_EQ(RooflineTime(Host(), MakeOp(OpKind::kGemv, 1'000'000, 0, 0)), sim::SimTime::Nanoseconds(500));
  EXPECT_EQ(RooflineTime(Host(), MakeOp(OpKind::kAttention, 1'000'000, 0, 0)), sim::SimTime::Nanoseconds(500));
  EXPECT_EQ(RooflineTime(Host(), MakeOp(OpKind::kElementwise, 1'000'000, 0, 0)), sim::SimTime::Microseconds(5));
}

TEST(RooflineTest, MemoryTimeCountsWeightAndOtherBytesAndOverlapsCompute) {
  // 300 kB of weights + 100 kB of activations at 100 GB/s: 4 us.
  EXPECT_EQ(RooflineTime(Host(), MakeOp(OpKind::kGemv, 0, 300'000, 100'000)), sim::SimTime::Microseconds(4));
  // With 1e6 FLOPs (0.5 us) beside it: still 4 us, not 4.5.
  EXPECT_EQ(RooflineTime(Host(), MakeOp(OpKind::kGemv, 1'000'000, 300'000, 100'000)), sim::SimTime::Microseconds(4));
  // Compute-bound element-wise op: 2e6 FLOPs (10 us) over 100 kB (1 us).
  EXPECT_EQ(RooflineTime(Host(), MakeOp(OpKind::kElementwise, 2'000'000, 0, 100'000)),
            sim::SimTime::Microseconds(10));
}

}  // namespace
}  // namespace strata::host
