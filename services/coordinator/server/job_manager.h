// JobManager: the coordinator's queue. Validates and stores submitted jobs,
// runs up to `max_concurrent` at once on worker threads (embedded: all its
// partitions in this process; or, with simulation.distributed, on the
// services in a ServiceDirectory), records progress and results, and
// lets watchers wait for changes. After a restart, jobs that were queued
// run; jobs that were running are failed with a reason (their partial state
// is gone, and rerunning silently could surprise whoever watched them).
#ifndef STRATA_COORDINATOR_SERVER_JOB_MANAGER_H_
#define STRATA_COORDINATOR_SERVER_JOB_MANAGER_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "distributed/service_directory.h"
#include "services/systems/job/job_estimate.h"
#include "services/systems/job/metrics_linger.h"
#include "store/job_store.h"
#include "strata/v1/job_service.pb.h"

namespace strata::coordinator {

class JobManager {
 public:
  // `registry` may be null (no metrics); `services` may be null (then
  // distributed jobs fail with a reason). A finished job's series stay
  // exported for `metrics_linger`, then go.
  JobManager(JobStore* store, int max_concurrent, std::shared_ptr<prometheus::Registry> registry,
             ServiceDirectory* services = nullptr, absl::Duration metrics_linger = absl::Seconds(60));
  ~JobManager();

  // Jobs whose admission estimate (job_estimate.h) is over a limit are
  // refused at Submit with RESOURCE_EXHAUSTED, before anything is built or
  // stored. Default: no limits. Call before serving.
  void SetAdmissionLimits(const systems::AdmissionLimits& limits) { limits_ = limits; }
  // Re-queues stored QUEUED jobs and fails stored RUNNING ones. Call once
  // before serving.
  absl::Status Recover();
  // `owner`: who submits it (empty without authentication); a request id
  // is the owner's own.
  absl::StatusOr<v1::Job> Submit(v1::JobSpec spec, const std::string& request_id, const std::string& owner = "");
  absl::StatusOr<v1::Job> Get(const std::string& id);
  absl::StatusOr<v1::Job> Cancel(const std::string& id);
  // `owner`: only that owner's jobs; nullopt: everyone's.
  absl::StatusOr<v1::ListJobsResponse> List(const v1::ListJobsRequest& request,
                                            const std::optional<std::string>& owner = std::nullopt);
  // Returns the job once its version is above `seen` (or after `timeout`),
  // with its current version in *version.
  absl::StatusOr<v1::Job> WaitForChange(const std::string& id, uint64_t seen, absl::Duration timeout,
                                        uint64_t* version);
  // Stops taking work; running jobs are cancelled and marked FAILED with
  // `reason`. Idempotent.
  void Shutdown(const std::string& reason);

 private:
  struct Live {
    v1::Job job;
    uint64_t version = 1;
    std::atomic<bool> cancel{false};
  };
  void Worker();
  // Runs a job the worker has already marked RUNNING.
  void RunOne(const std::string& id, Live* live, const v1::JobSpec& spec);
  void Publish(Live& live);  // caller holds mu_: persist, bump version, wake watchers
  void UpdateStateGaugesLocked();

  JobStore* store_;
  ServiceDirectory* services_;
  systems::AdmissionLimits limits_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>* jobs_by_state_ = nullptr;
  systems::MetricsLinger metrics_linger_;  // finished jobs' series, until they go
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable change_cv_;
  std::deque<std::string> queue_;
  std::map<std::string, std::unique_ptr<Live>> live_;  // queued and running jobs
  std::map<int, int> state_counts_;
  bool stopping_ = false;
  std::string stop_reason_;
  std::vector<std::thread> workers_;
};

bool IsFinal(v1::JobState state);

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_SERVER_JOB_MANAGER_H_
