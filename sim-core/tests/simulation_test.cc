#include "strata/sim/simulation.h"

#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include "strata/sim/engine.h"
#include "tests/test_components.h"

namespace strata::sim {
namespace {

using ::testing::HasSubstr;
using testing::Echo;

TEST(SimulationTest, ConnectingAnUnknownPortNamesComponentPortAndChoices) {
  Simulation sim;
  const ComponentId a = sim.Add(std::make_unique<Echo>("die0"));
  const ComponentId b = sim.Add(std::make_unique<Echo>("die1"));
  absl::Status s = sim.Connect(a, "bogus", b, "in", SimTime::Nanoseconds(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("component 'die0' has no port 'bogus' (its ports: out, in)"));
}

TEST(SimulationTest, APortLinksOnlyOnce) {
  Simulation sim;
  const ComponentId a = sim.Add(std::make_unique<Echo>("a"));
  const ComponentId b = sim.Add(std::make_unique<Echo>("b"));
  ASSERT_TRUE(sim.Connect(a, "out", b, "in", SimTime::Nanoseconds(1)).ok());
  absl::Status s = sim.Connect(a, "out", b, "out", SimTime::Nanoseconds(1));
  EXPECT_THAT(s.message(), HasSubstr("port 'a.out' is already connected"));
}

TEST(SimulationTest, NegativeLatencyIsRejected) {
  Simulation sim;
  const ComponentId a = sim.Add(std::make_unique<Echo>("a"));
  const ComponentId b = sim.Add(std::make_unique<Echo>("b"));
  absl::Status s = sim.Connect(a, "out", b, "in", SimTime::Picoseconds(-1));
  EXPECT_THAT(s.message(), HasSubstr("is negative; allowed: >= 0"));
}

TEST(SimulationTest, AnUnconnectedPortFailsTheRunBeforeTimeZeroNamingIt) {
  Simulation sim;
  const ComponentId a = sim.Add(std::make_unique<Echo>("ctrl", 1));
  const ComponentId b = sim.Add(std::make_unique<Echo>("die"));
  ASSERT_TRUE(sim.Connect(a, "out", b, "in", SimTime::Nanoseconds(1)).ok());
  auto r = sim::Run(sim, RunOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("port 'ctrl.in' is not connected"));
  EXPECT_TRUE(static_cast<Echo&>(sim.component(a)).log.empty());
}

TEST(SimulationTest, MeshNeedsPositiveLatency) {
  Simulation sim;
  const ComponentId a = sim.Add(std::make_unique<Echo>("a"));
  absl::Status s = sim.ConnectMesh({{a, "out"}}, SimTime::Zero());
  EXPECT_THAT(s.message(), HasSubstr("allowed: > 0"));
}

}  // namespace
}  // namespace strata::sim
