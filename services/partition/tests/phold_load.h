// A small PHOLD run as a LoadPartitions message, planned by group: what the
// wire tests (in memory and over gRPC) distribute; and the planning itself.
#ifndef STRATA_PARTITION_TESTS_PHOLD_LOAD_H_
#define STRATA_PARTITION_TESTS_PHOLD_LOAD_H_

#include <utility>

#include "gtest/gtest.h"
#include "partition_set.h"
#include "strata/sim/engine.h"
#include "strata/sim/partitioner.h"

namespace strata::partition {

// `load` with its graph planned over `partitions` by group.
inline v1::LoadPartitions PlannedByGroup(v1::LoadPartitions load, int partitions) {
  auto model = BuildModel(load);
  EXPECT_TRUE(model.ok());
  auto plan = sim::PartitionByGroup(model->sim(), partitions);
  EXPECT_TRUE(plan.ok());
  *load.mutable_plan() = ToProto(*plan);
  return load;
}

// 64 LPs x 4 events, 20% remote, 1 us lookahead and mean delay, seed 7;
// `end_ps` 0 runs until stopped.
inline v1::LoadPartitions PholdLoad(int partitions, v1::SyncAlgorithm sync, int64_t end_ps = 200'000'000) {
  v1::LoadPartitions load;
  v1::PholdSpec* p = load.mutable_phold();
  p->set_lps(64);
  p->set_events_per_lp(4);
  p->set_remote_fraction(0.2);
  p->set_lookahead_ps(1'000'000);
  p->set_mean_delay_ps(1'000'000);
  load.set_seed(7);
  load.set_sync(sync);
  load.set_end_time_ps(end_ps);
  return PlannedByGroup(std::move(load), partitions);
}

// The digest of `load` run in one process on one partition: what every
// distributed run of it must equal.
inline uint64_t OneProcessDigest(const v1::LoadPartitions& load) {
  auto model = BuildModel(load);
  EXPECT_TRUE(model.ok());
  sim::RunOptions options = RunOptionsOf(load);
  options.partitions = 1;
  options.plan.reset();
  auto run = sim::Run(model->sim(), options);
  EXPECT_TRUE(run.ok()) << run.status();
  return run.ok() ? run->digest : 0;
}

}  // namespace strata::partition

#endif  // STRATA_PARTITION_TESTS_PHOLD_LOAD_H_
