// JobMetrics: a running job's live figures as Prometheus metrics.
//
// Kernel (per partition): committed events, simulated time, null messages,
// windows, time blocked; job: tokens generated, simulated seconds per token,
// events per second; model (per partition, summed over its components,
// from ModelFigures): die and channel busy seconds, pages read and
// programmed, ECC corrected and uncorrectable, GC invocations, peak die
// queue depth. Names follow Prometheus conventions: `strata_` prefix,
// base units, counters end in `_total`, and the job label is `sim_job`
// (a label named `job` would be renamed by Prometheus on scrape).
//
// Lifecycle: the series exist while their JobMetrics does; destroying it
// removes them from the registry (MetricsLinger keeps a finished job's
// series for a while first, so the last scrape sees its final figures).
// Ownership: each figure is published by one process. The job figures
// (tokens, seconds per token, events per second) by the process that runs
// or coordinates the job; the per-partition figures (kernel, model) by the
// process that runs the partition. A distributed job's coordinator
// publishes JobFigures::kJobOnly, its services kPartitionsOnly.
#ifndef STRATA_SYSTEMS_JOB_JOB_METRICS_H_
#define STRATA_SYSTEMS_JOB_JOB_METRICS_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "services/systems/job/job_progress.h"
#include "services/systems/core/model_figures.h"
#include "strata/v1/job.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace strata::systems {

enum class JobFigures { kAll, kJobOnly, kPartitionsOnly };

class JobMetrics {
 public:
  JobMetrics(std::shared_ptr<prometheus::Registry> registry, std::string sim_job,
             JobFigures figures = JobFigures::kAll);
  // Removes every series this job added.
  ~JobMetrics();
  JobMetrics(const JobMetrics&) = delete;
  JobMetrics& operator=(const JobMetrics&) = delete;
  // Records a progress report; counters advance by the difference from the
  // previous report. Thread-safe.
  void Update(const JobProgress& progress);
  // Records model snapshots (one per partition); counters advance by the
  // difference from the partition's previous snapshot. Thread-safe.
  void UpdateModel(const std::vector<ModelFigures>& snapshots);
  // The job's end: the job figures take the result's values (every token
  // generated; seconds per token is the result's decode time per token,
  // which leaves out setup and prefill), whatever the last progress
  // report had reached.
  void Finish(const v1::JobResult& result, uint32_t tokens_total);

 private:
  struct PartitionSeries {
    prometheus::Counter* events;
    prometheus::Gauge* simulated_seconds;
    prometheus::Counter* null_messages;
    prometheus::Counter* windows;
    prometheus::Counter* blocked_seconds;
    sim::PartitionStats last;
  };
  PartitionSeries& Series(int partition);
  struct ModelSeries {
    std::array<prometheus::Counter*, kModelFigureCount> counter{};
    std::array<prometheus::Gauge*, kModelFigureCount> gauge{};
    ModelFigures last;
  };
  ModelSeries& Model(int partition);

  std::shared_ptr<prometheus::Registry> registry_;
  const std::string sim_job_;
  std::mutex mu_;
  prometheus::Family<prometheus::Counter>& events_;
  prometheus::Family<prometheus::Gauge>& simulated_seconds_;
  prometheus::Family<prometheus::Counter>& null_messages_;
  prometheus::Family<prometheus::Counter>& windows_;
  prometheus::Family<prometheus::Counter>& blocked_seconds_;
  const JobFigures figures_;
  // The job figures: null with kPartitionsOnly.
  prometheus::Family<prometheus::Counter>* tokens_family_ = nullptr;
  prometheus::Family<prometheus::Gauge>* seconds_per_token_family_ = nullptr;
  prometheus::Family<prometheus::Gauge>* events_per_second_family_ = nullptr;
  prometheus::Family<prometheus::Counter>* energy_family_ = nullptr;
  std::array<prometheus::Counter*, 9> energy_{};  // by EnergyPart; added to when the job finishes
  bool energy_added_ = false;
  prometheus::Counter* tokens_ = nullptr;
  prometheus::Gauge* seconds_per_token_ = nullptr;
  prometheus::Gauge* events_per_second_ = nullptr;
  // Only the partitions reported here: a service exports its own.
  std::map<int, PartitionSeries> partitions_;
  // By figure: the counter or the gauge family (the other is null).
  std::array<prometheus::Family<prometheus::Counter>*, kModelFigureCount> model_counters_{};
  std::array<prometheus::Family<prometheus::Gauge>*, kModelFigureCount> model_gauges_{};
  std::map<int, ModelSeries> model_;
  uint32_t last_tokens_ = 0;
  // The first report with a token: simulated time per token is measured
  // from there, so AiF's setup and the prefill do not count as decoding.
  uint32_t first_tokens_ = 0;
  double first_token_seconds_ = -1;
};

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_JOB_JOB_METRICS_H_
