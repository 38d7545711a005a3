// The STREAM recurrence's steady-state jump must give the same end time, to
// the picosecond, as evaluating every step, across the pipeline's shapes and
// step-time patterns; and it must actually jump (that is its point).
#include "flash/stream_pipeline.h"

#include <gtest/gtest.h>

#include "strata/sim/random.h"

namespace strata::nand {
namespace {

using sim::SimTime;

TEST(StreamPipelineTest, JumpEqualsStepByStepEverywhere) {
  sim::RandomStream rng(5, 9);
  auto ns = [&](uint64_t lo, uint64_t hi) { return SimTime::Picoseconds(1000 * lo + rng.UniformInt(1000 * (hi - lo))); };
  uint64_t jumped = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    StreamPipelineShape shape;
    shape.gemv = rng.Bernoulli(0.5);
    shape.ecclite = rng.Bernoulli(0.5);
    shape.cache_read = rng.Bernoulli(0.5);
    const auto planes = static_cast<uint32_t>(1 + rng.UniformInt(6));
    const bool per_plane = rng.Bernoulli(0.5);
    shape.units = per_plane ? planes : 1;
    for (uint32_t p = 0; p < planes; ++p) shape.unit_of_plane.push_back(per_plane ? p : 0);
    // Stage times around the array's so that each stage is the bottleneck
    // in some trials.
    shape.decode = ns(1, 20);
    shape.xfer = ns(1, 20);
    shape.compute = ns(1, 60);
    StreamSteps steps;
    steps.count = static_cast<uint32_t>(1 + rng.UniformInt(400));
    steps.first = ns(10, 60);
    steps.periodic.resize(1 + rng.UniformInt(4));
    for (SimTime& t : steps.periodic) t = ns(5, 60);
    const SimTime t0 = SimTime::Picoseconds(rng.UniformInt(1'000'000));
    const StreamTiming fast = RunStreamPipeline(shape, t0, steps);
    const StreamTiming slow = RunStreamPipeline(shape, t0, steps, /*skip_periods=*/false);
    ASSERT_EQ(fast.end, slow.end) << "trial " << trial << " steps " << steps.count;
    EXPECT_EQ(slow.steps_simulated, steps.count);
    EXPECT_LE(fast.steps_simulated, steps.count);
    if (fast.steps_simulated < steps.count) ++jumped;
  }
  EXPECT_GT(jumped, 1500u);
}

// A long GEMV run with one PE array as the bottleneck: the transient is a
// few steps, the rest is one jump; end = first array step + one move per page
// of compute per plane.
TEST(StreamPipelineTest, LongComputeBoundRunIsAFewStepsAndHandComputable) {
  StreamPipelineShape shape;
  shape.gemv = true;
  shape.cache_read = true;
  shape.unit_of_plane = {0, 0, 0, 0};
  shape.units = 1;
  shape.compute = SimTime::Microseconds(5);  // 4 planes x 5 us = 20 us per step > 10 us array
  StreamSteps steps;
  steps.count = 100000;
  steps.first = SimTime::Microseconds(30);
  steps.periodic = {SimTime::Microseconds(10)};
  const StreamTiming t = RunStreamPipeline(shape, SimTime::Zero(), steps);
  EXPECT_EQ(t.end, SimTime::Microseconds(30) + SimTime::Microseconds(20) * 100000);
  EXPECT_LT(t.steps_simulated, 10u);
}

}  // namespace
}  // namespace strata::nand
