// MetricsLinger: keeps a finished job's series exported for a while, then
// removes them, so Prometheus scrapes the job's final figures and a
// long-lived coordinator or service does not export every job it ever ran.
#ifndef STRATA_SYSTEMS_JOB_METRICS_LINGER_H_
#define STRATA_SYSTEMS_JOB_METRICS_LINGER_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/time/time.h"
#include "services/systems/job/job_metrics.h"

namespace strata::systems {

class MetricsLinger {
 public:
  // `linger` <= 0: a finished job's series go at once.
  explicit MetricsLinger(absl::Duration linger);
  // Removes the series still kept.
  ~MetricsLinger();
  MetricsLinger(const MetricsLinger&) = delete;
  MetricsLinger& operator=(const MetricsLinger&) = delete;

  // Takes a finished job's metrics; their series go `linger` from now.
  void Keep(std::unique_ptr<JobMetrics> metrics);

 private:
  void Loop();

  const absl::Duration linger_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  // In the order kept, hence of removal time.
  std::deque<std::pair<absl::Time, std::unique_ptr<JobMetrics>>> kept_;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_JOB_METRICS_LINGER_H_
