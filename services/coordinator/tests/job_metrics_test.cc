#include "services/systems/job/job_metrics.h"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "prometheus/text_serializer.h"

namespace strata::coordinator {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using systems::JobMetrics;
using systems::JobProgress;
using systems::ModelFigure;
using systems::ModelFigures;

JobProgress Progress(uint64_t events, uint32_t tokens, double sim_seconds) {
  JobProgress p;
  p.tokens_done = tokens;
  p.tokens_total = 32;
  p.kernel.committed_events = events;
  p.kernel.wall_seconds = 2.0;
  p.kernel.simulated_time = sim::SimTime::FromSeconds(sim_seconds);
  sim::PartitionStats s;
  s.partition = 0;
  s.committed_events = events;
  s.local_time = p.kernel.simulated_time;
  s.null_messages_sent = events / 10;
  p.kernel.partitions.push_back(s);
  return p;
}

std::string Scrape(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(JobMetricsTest, CountersAdvanceByDifferencesAndGaugesTrackTheLatest) {
  auto registry = std::make_shared<prometheus::Registry>();
  JobMetrics metrics(registry, "llama70b");
  metrics.Update(Progress(1000, 2, 1.0));
  metrics.Update(Progress(2500, 5, 2.5));
  const std::string text = Scrape(*registry);
  EXPECT_THAT(text, HasSubstr("strata_kernel_committed_events_total{partition=\"0\",sim_job=\"llama70b\"} 2500"));
  EXPECT_THAT(text, HasSubstr("strata_kernel_null_messages_total{partition=\"0\",sim_job=\"llama70b\"} 250"));
  EXPECT_THAT(text, HasSubstr("strata_llm_tokens_generated_total{sim_job=\"llama70b\"} 5"));
  EXPECT_THAT(text, HasSubstr("strata_llm_simulated_seconds_per_token{sim_job=\"llama70b\"} 0.5"));
  EXPECT_THAT(text, HasSubstr("strata_kernel_events_per_second{sim_job=\"llama70b\"} 1250"));
}

ModelFigures Figures(int partition, double die_busy, double pages_read, double queue_peak) {
  ModelFigures f;
  f.partition = partition;
  f[ModelFigure::kDieBusySeconds] = die_busy;
  f[ModelFigure::kPagesRead] = pages_read;
  f[ModelFigure::kDieQueueDepthPeak] = queue_peak;
  return f;
}

TEST(JobMetricsTest, ModelFiguresAreCountersPerPartitionThatNeverGoBack) {
  auto registry = std::make_shared<prometheus::Registry>();
  JobMetrics metrics(registry, "aif7b");
  metrics.UpdateModel({Figures(0, 0.25, 100, 3), Figures(2, 1.0, 40, 1)});
  metrics.UpdateModel({Figures(0, 0.75, 250, 2)});
  metrics.UpdateModel({Figures(0, 0.5, 200, 2)});  // a lower sample does not take a counter back
  const std::string text = Scrape(*registry);
  EXPECT_THAT(text, HasSubstr("strata_nand_die_busy_seconds_total{partition=\"0\",sim_job=\"aif7b\"} 0.75"));
  EXPECT_THAT(text, HasSubstr("strata_nand_pages_read_total{partition=\"0\",sim_job=\"aif7b\"} 250"));
  EXPECT_THAT(text, HasSubstr("strata_nand_pages_read_total{partition=\"2\",sim_job=\"aif7b\"} 40"));
  EXPECT_THAT(text, HasSubstr("strata_ssd_die_queue_depth_peak{partition=\"0\",sim_job=\"aif7b\"} 2"));
  EXPECT_THAT(text, HasSubstr("# TYPE strata_nand_channel_busy_seconds_total counter"));
  // Only partitions reported here get series (a service exports its own).
  EXPECT_THAT(text, Not(HasSubstr("partition=\"1\"")));
}

// Prometheus's own linter accepts the exposition (names, units, _total).
TEST(JobMetricsTest, PromtoolAcceptsTheExposition) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) GTEST_SKIP() << "promtool not installed";
  auto registry = std::make_shared<prometheus::Registry>();
  JobMetrics metrics(registry, "t");
  metrics.Update(Progress(10, 1, 0.1));
  ModelFigures model;
  model[ModelFigure::kDieBusySeconds] = 0.5;
  metrics.UpdateModel({model});
  const std::string path = ::testing::TempDir() + "/strata_metrics_" + std::to_string(getpid()) + ".txt";
  std::ofstream(path) << Scrape(*registry);
  FILE* pipe = popen(("promtool check metrics < " + path + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[256];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  EXPECT_EQ(pclose(pipe), 0) << output;
  EXPECT_EQ(output, "") << "promtool found problems";
}

}  // namespace
}  // namespace strata::coordinator
