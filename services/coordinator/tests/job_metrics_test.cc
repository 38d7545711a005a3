#include "services/systems/job/job_metrics.h"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "services/systems/job/metrics_linger.h"
#include "prometheus/text_serializer.h"

namespace strata::coordinator {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using systems::JobFigures;
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

// AiF's aif_post runs seconds of simulated time before the first token:
// seconds per token is measured from the first report with a token, so
// setup and prefill are not counted as decoding (including them, this job
// would read 11.5 s / 3 tokens = 3.83 s).
TEST(JobMetricsTest, SecondsPerTokenLeavesOutSetupAndPrefill) {
  auto registry = std::make_shared<prometheus::Registry>();
  JobMetrics metrics(registry, "aif");
  metrics.Update(Progress(100, 0, 10.0));   // setup and prefill
  metrics.Update(Progress(200, 1, 10.5));   // decoding has begun
  metrics.Update(Progress(400, 3, 11.5));   // two more tokens in 1 s
  EXPECT_THAT(Scrape(*registry), HasSubstr("strata_llm_simulated_seconds_per_token{sim_job=\"aif\"} 0.5\n"));
}

// The last progress report can lag the end (5 of 8 tokens); Finish sets the
// result's figures.
TEST(JobMetricsTest, FinishPublishesEveryTokenAndTheResultsTimePerToken) {
  auto registry = std::make_shared<prometheus::Registry>();
  JobMetrics metrics(registry, "j");
  metrics.Update(Progress(100, 5, 1.0));
  v1::JobResult result;
  result.set_time_per_token_us(73200);
  result.set_events(5000);
  result.set_wall_seconds(2);
  metrics.Finish(result, 8);
  const std::string text = Scrape(*registry);
  EXPECT_THAT(text, HasSubstr("strata_llm_tokens_generated_total{sim_job=\"j\"} 8\n"));
  EXPECT_THAT(text, HasSubstr("strata_llm_simulated_seconds_per_token{sim_job=\"j\"} 0.0732\n"));
  EXPECT_THAT(text, HasSubstr("strata_kernel_events_per_second{sim_job=\"j\"} 2500\n"));
}

// The energy counter: every part's series exists (at 0) while the job runs,
// and Finish adds the result's joules by part once.
TEST(JobMetricsTest, EnergyByPartIsZeroWhileRunningAndTheRunsJoulesWhenFinished) {
  auto registry = std::make_shared<prometheus::Registry>();
  JobMetrics metrics(registry, "e");
  metrics.Update(Progress(100, 1, 1.0));
  EXPECT_THAT(Scrape(*registry), HasSubstr("strata_energy_joules_total{part=\"flash_array\",sim_job=\"e\"} 0\n"));
  EXPECT_THAT(Scrape(*registry), HasSubstr("strata_energy_joules_total{part=\"static\",sim_job=\"e\"} 0\n"));
  v1::JobResult result;
  v1::EnergyBreakdown* e = result.mutable_energy();
  e->set_joules(8);  // 4 tokens at 2 J
  e->set_joules_per_token(2);
  e->mutable_per_token()->set_flash_array(1.5);
  e->mutable_per_token()->set_static_power(0.5);
  metrics.Finish(result, 4);
  metrics.Finish(result, 4);  // a repeated Finish adds nothing
  const std::string text = Scrape(*registry);
  EXPECT_THAT(text, HasSubstr("strata_energy_joules_total{part=\"flash_array\",sim_job=\"e\"} 6\n"));
  EXPECT_THAT(text, HasSubstr("strata_energy_joules_total{part=\"static\",sim_job=\"e\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("strata_energy_joules_total{part=\"dram\",sim_job=\"e\"} 0\n"));
}

// Each figure from one process: a distributed job's coordinator publishes
// the job's figures, its services their partitions'.
TEST(JobMetricsTest, JobOnlyAndPartitionsOnlySplitTheFigures) {
  auto coordinator = std::make_shared<prometheus::Registry>();
  auto service = std::make_shared<prometheus::Registry>();
  JobMetrics job(coordinator, "d", JobFigures::kJobOnly);
  JobMetrics partitions(service, "d", JobFigures::kPartitionsOnly);
  for (JobMetrics* m : {&job, &partitions}) {
    m->Update(Progress(100, 2, 1.0));
    m->UpdateModel({Figures(0, 0.5, 10, 1)});
  }
  const std::string on_coordinator = Scrape(*coordinator), on_service = Scrape(*service);
  EXPECT_THAT(on_coordinator, HasSubstr("strata_llm_tokens_generated_total{sim_job=\"d\"} 2"));
  EXPECT_THAT(on_coordinator, Not(HasSubstr("partition=")));
  EXPECT_THAT(on_service, HasSubstr("strata_kernel_committed_events_total{partition=\"0\",sim_job=\"d\"} 100"));
  EXPECT_THAT(on_service, HasSubstr("strata_nand_pages_read_total{partition=\"0\",sim_job=\"d\"} 10"));
  EXPECT_THAT(on_service, Not(HasSubstr("strata_llm_tokens_generated_total{")));
}

TEST(JobMetricsTest, DestroyingAJobsMetricsRemovesItsSeriesOnly) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto finished = std::make_unique<JobMetrics>(registry, "finished");
  JobMetrics running(registry, "running");
  for (JobMetrics* m : {finished.get(), &running}) {
    m->Update(Progress(100, 2, 1.0));
    m->UpdateModel({Figures(0, 0.5, 10, 1)});
  }
  EXPECT_THAT(Scrape(*registry), HasSubstr("sim_job=\"finished\""));
  finished.reset();
  const std::string text = Scrape(*registry);
  EXPECT_THAT(text, Not(HasSubstr("sim_job=\"finished\"")));
  EXPECT_THAT(text, HasSubstr("strata_llm_tokens_generated_total{sim_job=\"running\"} 2"));
  EXPECT_THAT(text, HasSubstr("strata_nand_pages_read_total{partition=\"0\",sim_job=\"running\"} 10"));
}

TEST(MetricsLingerTest, SeriesStayForTheLingerThenGo) {
  auto registry = std::make_shared<prometheus::Registry>();
  systems::MetricsLinger linger(absl::Milliseconds(300));
  auto metrics = std::make_unique<JobMetrics>(registry, "done");
  metrics->Update(Progress(100, 2, 1.0));
  const absl::Time kept = absl::Now();
  linger.Keep(std::move(metrics));
  EXPECT_THAT(Scrape(*registry), HasSubstr("sim_job=\"done\""));  // well inside 300 ms
  while (absl::Now() - kept < absl::Seconds(10) && Scrape(*registry).find("sim_job=\"done\"") != std::string::npos) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_GE(absl::Now() - kept, absl::Milliseconds(300));
  EXPECT_THAT(Scrape(*registry), Not(HasSubstr("sim_job=\"done\"")));
}

TEST(MetricsLingerTest, ZeroLingerRemovesAtOnce) {
  auto registry = std::make_shared<prometheus::Registry>();
  systems::MetricsLinger linger(absl::ZeroDuration());
  auto metrics = std::make_unique<JobMetrics>(registry, "done");
  metrics->Update(Progress(100, 2, 1.0));
  linger.Keep(std::move(metrics));
  EXPECT_THAT(Scrape(*registry), Not(HasSubstr("sim_job=\"done\"")));
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
