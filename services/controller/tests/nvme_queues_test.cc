// Several NVMe I/O queue pairs (NvmeConfig::queues): round-robin spreading
// on the host, a depth limit per queue, and the controller's round-robin
// fetch arbitration with its burst (NVMe 1.4 §4.13.1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

#include "ssd/ssd_system.h"
#include "strata/sim/engine.h"
#include "tests/ssd_test_util.h"

namespace strata::controller {
namespace {

using testing::MakeSsdBench;

// Random 16 KiB reads on 1 channel x 2 dies (AiF timing): the dies bound
// the run (~39 k IOPS), far below PCIe and the fetch engine.
SsdSystemConfig Reads(uint32_t qd, uint32_t queues, uint32_t depth, uint32_t burst, uint64_t count) {
  SsdSystemConfig c;
  c.nand.reliability.enabled = false;
  c.nand.geometry.channels = 1;
  c.nand.geometry.dies_per_channel = 2;
  c.controller.ftl_blocks_per_plane = 32;
  c.controller.ftl.over_provisioning = 0.25;
  const uint64_t pages = 2 * 4 * 3 * 768;
  c.precondition_pages = pages;
  c.nvme.pcie.generation = 4;
  c.nvme.queues = queues;
  c.nvme.sq_depth = depth;
  c.nvme.arbitration_burst = burst;
  c.nvme.record_commands = true;
  c.workload.pattern = AccessPattern::kRandom;
  c.workload.block_bytes = 16384;
  c.workload.queue_depth = qd;
  c.workload.count = count;
  c.workload.span_bytes = pages * 16384;
  return c;
}

SimTime DoorbellEnd(const NvmeInterface::CommandRecord& r) {
  return r.submitted + r.steps[kStepSqWait] + r.steps[kStepHostSubmit] + r.steps[kStepDoorbell];
}
SimTime FetchEnd(const NvmeInterface::CommandRecord& r) { return DoorbellEnd(r) + r.steps[kStepFetch]; }

// Commands fetched together (same fetch end), in fetch order.
std::vector<std::vector<const NvmeInterface::CommandRecord*>> Bursts(
    const std::vector<NvmeInterface::CommandRecord>& records) {
  std::map<SimTime, std::vector<const NvmeInterface::CommandRecord*>> by_end;
  for (const auto& r : records) by_end[FetchEnd(r)].push_back(&r);
  std::vector<std::vector<const NvmeInterface::CommandRecord*>> out;
  for (auto& [end, group] : by_end) out.push_back(group);
  return out;
}

TEST(NvmeQueuesTest, EveryQueueIsServedInRoundRobinBurstsOfAtMostTheBurst) {
  for (uint32_t burst : {1u, 2u, 4u}) {
    const SsdSystemConfig c = Reads(/*qd=*/16, /*queues=*/2, /*depth=*/64, burst, /*count=*/400);
    auto b = MakeSsdBench(c);
    ASSERT_NE(b, nullptr);
    ASSERT_TRUE(sim::Run(b->sim, {}).ok());
    const NvmeInterface& nvme = *b->ssd.nvme;
    // Round robin on the host: half the commands each.
    ASSERT_EQ(nvme.stats().commands_per_queue.size(), 2u);
    EXPECT_EQ(nvme.stats().commands_per_queue[0], 200u);
    EXPECT_EQ(nvme.stats().commands_per_queue[1], 200u);
    const auto bursts = Bursts(nvme.records());
    EXPECT_EQ(bursts.size(), nvme.stats().fetch_bursts);
    size_t full = 0;
    for (size_t i = 0; i < bursts.size(); ++i) {
      const auto& g = bursts[i];
      EXPECT_LE(g.size(), burst);
      full += g.size() == burst;
      for (const auto* r : g) EXPECT_EQ(r->queue, g.front()->queue) << "a burst comes from one queue";
      if (i == 0) continue;
      // Round robin: after a burst from queue q the arbiter turns to the
      // other queue if it has an SQE waiting. So two bursts in a row from
      // one queue mean the other had none waiting when the second began.
      const auto& prev = bursts[i - 1];
      if (g.front()->queue != prev.front()->queue) continue;
      const SimTime turn = FetchEnd(*prev.front());
      for (const auto& r : nvme.records()) {
        if (r.queue == g.front()->queue) continue;
        EXPECT_FALSE(DoorbellEnd(r) <= turn && FetchEnd(r) > FetchEnd(*g.front()))
            << "burst " << burst << ": queue " << g.front()->queue << " served twice in a row while command "
            << r.cid << " of queue " << r.queue << " waited";
      }
    }
    std::printf("2 queues, QD 16, burst %u: %zu fetch bursts for 400 commands, %zu of them full\n", burst,
                bursts.size(), full);
    if (burst > 1) {
      EXPECT_GT(full, 0u);  // bursts do form when SQEs wait
    }
  }
}

TEST(NvmeQueuesTest, EachQueuesDepthIsHonoured) {
  const SsdSystemConfig c = Reads(/*qd=*/32, /*queues=*/4, /*depth=*/4, /*burst=*/1, /*count=*/800);
  auto b = MakeSsdBench(c);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(sim::Run(b->sim, {}).ok());
  const NvmeInterface& nvme = *b->ssd.nvme;
  // In flight per queue: from admission (submitted + sq_wait) to completion.
  std::vector<std::vector<std::pair<SimTime, int>>> edges(4);
  for (const auto& r : nvme.records()) {
    edges[r.queue].push_back({r.submitted + r.steps[kStepSqWait], +1});
    edges[r.queue].push_back({r.completed, -1});
  }
  for (uint32_t q = 0; q < 4; ++q) {
    std::sort(edges[q].begin(), edges[q].end());  // a completion (-1) before an admission at the same time
    int in_flight = 0, peak = 0;
    for (const auto& [t, d] : edges[q]) peak = std::max(peak, in_flight += d);
    EXPECT_EQ(peak, 4) << "queue " << q;
  }
  // 32 outstanding over 4 x 4 entries: half wait on the host.
  EXPECT_GE(nvme.stats().host_waiters_max, 16u);
  EXPECT_EQ(nvme.stats().sq_max, 16u);
}

TEST(NvmeQueuesTest, FourQueuesOfEightMatchOneQueueOfThirtyTwoWhenFlashBound) {
  double iops[2];
  int i = 0;
  for (const SsdSystemConfig& c : {Reads(32, 1, 32, 1, 3000), Reads(32, 4, 8, 1, 3000)}) {
    auto b = MakeSsdBench(c);
    ASSERT_NE(b, nullptr);
    ASSERT_TRUE(sim::Run(b->sim, {}).ok());
    iops[i++] = b->ssd.workload->result().iops;
  }
  std::printf("flash-bound random reads, QD 32: 1 queue x 32 %.0f IOPS, 4 queues x 8 %.0f IOPS\n", iops[0], iops[1]);
  EXPECT_NEAR(iops[1] / iops[0], 1.0, 0.03);
}

TEST(NvmeQueuesTest, OneQueueKeepsItsDigestWhateverTheBurst) {
  uint64_t digest[2];
  int i = 0;
  for (uint32_t burst : {1u, 8u}) {
    auto b = MakeSsdBench(Reads(16, 1, 1024, burst, 300));
    ASSERT_NE(b, nullptr);
    auto r = sim::Run(b->sim, {});
    ASSERT_TRUE(r.ok());
    digest[i++] = r->digest;
  }
  EXPECT_EQ(digest[0], digest[1]);
}

TEST(NvmeQueuesTest, SeveralQueuesHaveTheSameDigestOnOneAndTwoPartitions) {
  uint64_t digest[2];
  for (int parts : {1, 2}) {
    auto b = MakeSsdBench(Reads(16, 3, 4, 2, 300));
    ASSERT_NE(b, nullptr);
    sim::RunOptions o;
    o.partitions = parts;
    auto r = sim::Run(b->sim, o);
    ASSERT_TRUE(r.ok()) << r.status();
    digest[parts - 1] = r->digest;
  }
  EXPECT_EQ(digest[0], digest[1]);
}

TEST(NvmeQueuesTest, BadValuesNameTheField) {
  NvmeConfig c;
  c.queues = 0;
  EXPECT_EQ(ValidateNvmeConfig(c).message(), "nvme.queues = 0: allowed 1..256");
  c.queues = 300;
  EXPECT_EQ(ValidateNvmeConfig(c).message(), "nvme.queues = 300: allowed 1..256");
  c.queues = 256;
  c.sq_depth = 4096;
  EXPECT_EQ(ValidateNvmeConfig(c).message(), "nvme.queues x sq_depth = 1048576: allowed 2..262144");
  c.sq_depth = 64;
  c.arbitration_burst = 3;
  EXPECT_EQ(ValidateNvmeConfig(c).message(), "nvme.arbitration_burst = 3: allowed a power of two in 1..128 (NVMe AB: 2^AB)");
  c.arbitration_burst = 128;
  EXPECT_TRUE(ValidateNvmeConfig(c).ok());
}

}  // namespace
}  // namespace strata::controller
