// Both ends of the kernel wire, joined in memory (no gRPC): services'
// RemoteTransports forward to a PartitionHub, which answers them. Runs
// PHOLD and an LLM job split over two "services" and checks that the
// digest equals the one-process engine's, for both sync algorithms.
#include <thread>

#include "gtest/gtest.h"
#include "partition_hub.h"
#include "partition_set.h"
#include "services/systems/job/job_spec.h"
#include "remote_transport.h"
#include "tests/phold_load.h"
#include "strata/sim/digest.h"
#include "strata/sim/engine.h"

namespace strata::partition {
namespace {

// `services` in-memory processes; partition p runs on service p % services.
// `model` (optional) receives every partition's final model figures.
absl::StatusOr<uint64_t> RunSplit(const v1::LoadPartitions& base, int services, bool abort_midway = false,
                                  std::vector<systems::ModelFigures>* model = nullptr) {
  const int n = base.plan().partition_count();
  std::vector<std::unique_ptr<PartitionSet>> sets;
  std::vector<std::unique_ptr<RemoteTransport>> transports;
  std::unique_ptr<PartitionHub> hub;
  hub = std::make_unique<PartitionHub>(n, [&](sim::PartitionId p, v1::KernelReply* reply) {
    transports[p % services]->OnReply(*reply);
    return true;
  });
  for (int s = 0; s < services; ++s) {
    v1::LoadPartitions load = base;
    for (int p = s; p < n; p += services) load.add_local_partitions(p);
    auto set = PartitionSet::Load(load, {});
    if (!set.ok()) return set.status();
    sets.push_back(std::move(*set));
    // As the service does: window sync coalesces a window's batches.
    transports.push_back(std::make_unique<RemoteTransport>(
        n,
        [&hub](const v1::FromPartitions& m) {
          hub->OnCall(m.call());
          return true;
        },
        /*coalesce_sends=*/base.sync() != v1::NULL_MESSAGE));
  }
  std::vector<absl::Status> status(services);
  std::vector<std::thread> threads;
  for (int s = 0; s < services; ++s) {
    threads.emplace_back([&, s] { status[s] = sets[s]->Run(*transports[s]); });
  }
  if (abort_midway) hub->Abort("test abort");
  for (auto& t : threads) t.join();
  for (int s = 0; s < services; ++s) {
    if (!status[s].ok()) return status[s];
    if (transports[s]->aborted()) return absl::AbortedError(transports[s]->abort_reason());
  }
  sim::SimTime final_time;
  uint64_t events = 0;
  for (auto& set : sets) {
    const v1::PartitionsDone done = set->Done(absl::OkStatus());
    final_time = std::max(final_time, sim::SimTime::Picoseconds(done.local_final_time_ps()));
    events += done.committed_events();
  }
  for (auto& set : sets) {
    if (model == nullptr) break;
    for (const systems::ModelFigures& f : set->ModelSnapshots()) model->push_back(f);
  }
  std::vector<std::pair<uint32_t, uint64_t>> digests;
  for (auto& set : sets) {
    const v1::PartitionsReport report = set->Report(final_time);
    for (const auto& d : report.digests()) digests.emplace_back(d.component(), d.digest());
  }
  std::sort(digests.begin(), digests.end());
  std::vector<uint64_t> ordered;
  for (const auto& d : digests) ordered.push_back(d.second);
  return sim::CombineDigest(ordered, final_time, events);
}

uint64_t EmbeddedDigest(const v1::LoadPartitions& load) {
  auto model = BuildModel(load);
  EXPECT_TRUE(model.ok());
  sim::RunOptions options = RunOptionsOf(load);
  options.partitions = 1;
  auto run = sim::Run(model->sim(), options);
  EXPECT_TRUE(run.ok()) << run.status();
  return run->digest;
}

TEST(WireTest, PholdOverTheWireGivesTheOneThreadDigestWithWindows) {
  const v1::LoadPartitions load = PholdLoad(4, v1::WINDOW);
  auto digest = RunSplit(load, 2);
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(sim::DigestToHex(*digest), sim::DigestToHex(EmbeddedDigest(load)));
}

TEST(WireTest, PholdOverTheWireGivesTheOneThreadDigestWithNullMessages) {
  const v1::LoadPartitions load = PholdLoad(3, v1::NULL_MESSAGE);
  auto digest = RunSplit(load, 3);
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(sim::DigestToHex(*digest), sim::DigestToHex(EmbeddedDigest(load)));
}

// LLaMA-2-7B on NVLLM (host and nand groups), and a small custom model on
// AiF (host, "aif" controller and nand groups: AiF's aif_post of a 7B model
// alone is two million events, too slow for a unit test on many windows).
// A small LLM job's load, split into `partitions` by group.
v1::LoadPartitions LlmLoad(bool aif, v1::SyncAlgorithm sync, int partitions) {
  v1::LoadPartitions load;
  v1::JobSpec* job = load.mutable_job();
  job->mutable_workload()->set_prompt_tokens(2);
  job->mutable_workload()->set_decode_tokens(1);
  if (aif) {
    v1::CustomShape* shape = job->mutable_model()->mutable_custom();
    shape->set_layers(2);
    shape->set_hidden(512);
    shape->set_ffn(1024);
    shape->set_heads(8);
    shape->set_vocab(1000);
    job->mutable_system()->mutable_aif();
  } else {
    job->mutable_model()->set_catalog_name("llama-2-7b");
    job->mutable_system()->mutable_nvllm();
  }
  job->mutable_simulation()->set_sync(sync);
  auto normalized = systems::NormalizeJobSpec(*job);
  EXPECT_TRUE(normalized.ok()) << normalized.status();
  *job = *normalized;
  load.set_seed(job->simulation().seed());
  load.set_sync(sync);
  return PlannedByGroup(std::move(load), partitions);
}

TEST(WireTest, LlmJobsOverTheWireGiveTheEmbeddedDigest) {
  for (bool aif : {false, true}) for (v1::SyncAlgorithm sync : {v1::WINDOW, v1::NULL_MESSAGE}) {
    const v1::LoadPartitions load = LlmLoad(aif, sync, 3);
    auto digest = RunSplit(load, 2);
    ASSERT_TRUE(digest.ok()) << digest.status();
    EXPECT_EQ(sim::DigestToHex(*digest), sim::DigestToHex(EmbeddedDigest(load)))
        << (aif ? "aif " : "nvllm ") << v1::SyncAlgorithm_Name(sync);
  }
}

// The services' model figures (summed per partition, sampled on the
// partitions' own threads) add up to the per-component statistics of the
// same job run in one process.
TEST(WireTest, ModelFiguresOfEveryPartitionAddUpToTheEmbeddedStatistics) {
  const v1::LoadPartitions load = LlmLoad(/*aif=*/true, v1::WINDOW, 3);
  std::vector<systems::ModelFigures> figures;
  auto digest = RunSplit(load, 2, false, &figures);
  ASSERT_TRUE(digest.ok()) << digest.status();
  ASSERT_EQ(figures.size(), 3u);  // one per partition
  systems::ModelFigures total;
  for (const auto& f : figures) {
    for (int i = 0; i < systems::kModelFigureCount; ++i) total.value[i] += f.value[i];
  }

  auto model = BuildModel(load);
  ASSERT_TRUE(model.ok());
  sim::RunOptions options = RunOptionsOf(load);
  options.partitions = 1;
  options.plan.reset();
  ASSERT_TRUE(sim::Run(model->sim(), options).ok());
  double pages_read = 0, pages_programmed = 0, die_busy = 0, channel_busy = 0;
  std::vector<sim::Statistic> stats;
  for (sim::ComponentId id = 0; id < model->sim().size(); ++id) {
    stats.clear();
    model->sim().component(id).CollectStatistics(&stats);
    for (const sim::Statistic& s : stats) {
      if (s.name == "pages_read_total") pages_read += s.value;
      if (s.name == "pages_programmed_total") pages_programmed += s.value;
      if (s.name == "busy_seconds") die_busy += s.value;
      if (s.name == "bus_busy_seconds") channel_busy += s.value;
    }
  }
  ASSERT_GT(pages_programmed, 0);  // aif_post placed the weights
  EXPECT_EQ(total[systems::ModelFigure::kPagesProgrammed], pages_programmed);
  EXPECT_EQ(total[systems::ModelFigure::kPagesRead], pages_read);
  EXPECT_DOUBLE_EQ(total[systems::ModelFigure::kDieBusySeconds], die_busy);
  EXPECT_DOUBLE_EQ(total[systems::ModelFigure::kChannelBusySeconds], channel_busy);
}

TEST(WireTest, HubAbortStopsEveryService) {
  v1::LoadPartitions load = PholdLoad(2, v1::NULL_MESSAGE);
  load.set_end_time_ps(0);  // would run for a long time
  load.mutable_phold()->set_events_per_lp(50);
  auto digest = RunSplit(load, 2, /*abort_midway=*/true);
  EXPECT_EQ(digest.status().code(), absl::StatusCode::kAborted);
}

TEST(WireTest, LoadRejectsAPlanThatDoesNotFitTheGraph) {
  v1::LoadPartitions load = PholdLoad(2, v1::WINDOW);
  load.mutable_plan()->mutable_partition_of()->RemoveLast();
  load.add_local_partitions(0);
  auto set = PartitionSet::Load(load, {});
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(set.status().message().find("load.plan.partition_of"), std::string::npos) << set.status();
}

}  // namespace
}  // namespace strata::partition
