#include "server/job_manager.h"

#include <chrono>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "distributed/distributed_job.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/coordinator/job/job_runner.h"
#include "services/coordinator/results/result_columns.h"
#include "services/systems/job/job_metrics.h"
#include "services/systems/job/spec_admission.h"

namespace strata::coordinator {

bool IsFinal(v1::JobState state) {
  return state == v1::SUCCEEDED || state == v1::FAILED || state == v1::CANCELLED;
}

namespace {
int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

// A job id as the client sent it: INVALID_ARGUMENT when empty (it can name
// no job), else OK.
absl::Status CheckJobId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("id is empty; allowed: a job id SubmitJob returned");
  return absl::OkStatus();
}
}  // namespace

JobManager::JobManager(JobStore* store, int max_concurrent, std::shared_ptr<prometheus::Registry> registry,
                       ServiceDirectory* services, absl::Duration metrics_linger)
    : store_(store), services_(services), registry_(std::move(registry)), metrics_linger_(metrics_linger) {
  if (registry_) {
    jobs_by_state_ = &prometheus::BuildGauge()
                          .Name("strata_coordinator_jobs")
                          .Help("Jobs known to the coordinator, by state")
                          .Register(*registry_);
  }
  for (int i = 0; i < std::max(1, max_concurrent); ++i) workers_.emplace_back([this] { Worker(); });
}

JobManager::~JobManager() {
  Shutdown("the coordinator is shutting down");
  for (auto& t : workers_) t.join();
}

void JobManager::UpdateStateGaugesLocked() {
  if (jobs_by_state_ == nullptr) return;
  for (int state = v1::QUEUED; state <= v1::CANCELLED; ++state) {
    jobs_by_state_->Add({{"state", v1::JobState_Name(static_cast<v1::JobState>(state))}})
        .Set(state_counts_[state]);
  }
}

absl::Status JobManager::Recover() {
  std::lock_guard<std::mutex> lock(mu_);
  for (int state = v1::QUEUED; state <= v1::CANCELLED; ++state) {
    auto jobs = store_->InState(static_cast<v1::JobState>(state));
    if (!jobs.ok()) return jobs.status();
    for (v1::Job& job : *jobs) {
      if (state == v1::RUNNING) {
        job.set_state(v1::FAILED);
        job.set_error("the coordinator restarted while this job was running; submit it again to rerun it");
        job.set_finished_unix_ms(NowMs());
        if (absl::Status s = store_->Put(job); !s.ok()) return s;
        ++state_counts_[v1::FAILED];
      } else if (state == v1::QUEUED) {
        auto live = std::make_unique<Live>();
        live->job = job;
        queue_.push_back(job.id());
        live_[job.id()] = std::move(live);
        ++state_counts_[v1::QUEUED];
      } else {
        ++state_counts_[state];
      }
    }
  }
  UpdateStateGaugesLocked();
  work_cv_.notify_all();
  return absl::OkStatus();
}

void JobManager::Publish(Live& live) {
  // Persisting happens under mu_: state changes are rare (a few per job).
  (void)store_->Put(live.job);
  ++live.version;
  change_cv_.notify_all();
}

namespace {
std::string NewJobId() {
  // 128 random bits: unique across restarts and coordinators sharing a
  // database, unlike a clock and a counter (a restart within one second
  // reissued ids, and the upsert replaced an acknowledged job).
  thread_local absl::BitGen gen;
  const uint64_t high = absl::Uniform<uint64_t>(gen);
  const uint64_t low = absl::Uniform<uint64_t>(gen);
  return absl::StrFormat("job-%016x%016x", high, low);
}
}  // namespace

absl::StatusOr<v1::Job> JobManager::Submit(v1::JobSpec spec, const std::string& request_id,
                                           const std::string& owner) {
  if (request_id.size() > kMaxRequestIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat("request_id has ", request_id.size(),
                                                   " bytes; allowed: at most ", kMaxRequestIdBytes));
  }
  if (!systems::IsValidUtf8(request_id)) {
    return absl::InvalidArgumentError("request_id is not valid UTF-8; allowed: any UTF-8 text");
  }
  auto normalized = NormalizeJobSpec(std::move(spec));
  if (!normalized.ok()) return normalized.status();  // nothing stored
  if (limits_.max_job_memory_gib > 0 || limits_.max_job_events > 0) {
    auto estimate = systems::EstimateJob(*normalized);
    if (!estimate.ok()) return estimate.status();
    if (absl::Status s = systems::CheckAdmission(*estimate, limits_); !s.ok()) return s;  // nothing stored
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return absl::UnavailableError("the coordinator is shutting down");
  auto live = std::make_unique<Live>();
  v1::Job& job = live->job;
  job.set_id(NewJobId());
  *job.mutable_spec() = *normalized;
  job.set_state(v1::QUEUED);
  job.set_request_id(request_id);
  job.set_owner(owner);
  job.set_submitted_unix_ms(NowMs());
  job.mutable_progress()->set_tokens_total(static_cast<uint32_t>(normalized->workload().decode_tokens()));
  auto existing = store_->InsertUnlessRequested(job);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    // A retry returns the first job; the same request id for another job
    // is the client's mistake, and running either silently would hide it.
    const v1::Job& first = **existing;
    if (!google::protobuf::util::MessageDifferencer::Equals(first.spec(), *normalized)) {
      return absl::AlreadyExistsError(absl::StrCat("request_id '", systems::TruncateForMessage(request_id),
                                                   "' already names job '", first.id(),
                                                   "' with a different spec; use a new request_id for a new job"));
    }
    auto it = live_.find(first.id());
    return it != live_.end() ? it->second->job : first;  // live progress wins
  }
  const v1::Job copy = job;
  queue_.push_back(job.id());
  live_[job.id()] = std::move(live);
  ++state_counts_[v1::QUEUED];
  UpdateStateGaugesLocked();
  work_cv_.notify_one();
  return copy;
}

absl::StatusOr<v1::Job> JobManager::Get(const std::string& id) {
  if (absl::Status s = CheckJobId(id); !s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(id);
    if (it != live_.end()) return it->second->job;
  }
  return store_->Get(id);
}

absl::StatusOr<v1::Job> JobManager::Cancel(const std::string& id) {
  if (absl::Status s = CheckJobId(id); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(id);
  if (it == live_.end()) return store_->Get(id);  // final (or unknown: NOT_FOUND)
  Live& live = *it->second;
  live.cancel = true;
  if (live.job.state() == v1::QUEUED) {
    // Not started: final at once. The worker skips it.
    for (auto q = queue_.begin(); q != queue_.end(); ++q) {
      if (*q == id) {
        queue_.erase(q);
        break;
      }
    }
    live.job.set_state(v1::CANCELLED);
    live.job.set_error("cancelled before it started");
    live.job.set_finished_unix_ms(NowMs());
    --state_counts_[v1::QUEUED];
    ++state_counts_[v1::CANCELLED];
    UpdateStateGaugesLocked();
    Publish(live);
    v1::Job done = live.job;
    live_.erase(it);
    return done;
  }
  return live.job;  // running: the worker marks it CANCELLED when the run stops
}

absl::StatusOr<v1::ListJobsResponse> JobManager::List(const v1::ListJobsRequest& request,
                                                      const std::optional<std::string>& owner) {
  int page_size = request.page_size() == 0 ? 50 : request.page_size();
  if (page_size < 1 || page_size > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("page_size = ", request.page_size(), "; allowed: 1 to 1000"));
  }
  int64_t before = 0;
  if (!request.page_token().empty() && (!absl::SimpleAtoi(request.page_token(), &before) || before <= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("page_token = '", request.page_token(),
                                                   "' is not a token this server gave out"));
  }
  int64_t next = 0;
  auto jobs = store_->List(request.state(), page_size, before, &next, owner);
  if (!jobs.ok()) return jobs.status();
  v1::ListJobsResponse response;
  std::lock_guard<std::mutex> lock(mu_);
  for (v1::Job& job : *jobs) {
    auto it = live_.find(job.id());
    *response.add_jobs() = it != live_.end() ? it->second->job : std::move(job);  // live progress wins
  }
  if (next > 0) response.set_next_page_token(absl::StrCat(next));
  return response;
}

absl::StatusOr<v1::Job> JobManager::WaitForChange(const std::string& id, uint64_t seen, absl::Duration timeout,
                                                  uint64_t* version) {
  if (absl::Status s = CheckJobId(id); !s.ok()) return s;
  std::unique_lock<std::mutex> lock(mu_);
  auto find = [&]() -> Live* {
    auto it = live_.find(id);
    return it == live_.end() ? nullptr : it->second.get();
  };
  Live* live = find();
  if (live == nullptr) {
    lock.unlock();
    auto job = store_->Get(id);  // final jobs do not change any more
    *version = UINT64_MAX;
    return job;
  }
  change_cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
    live = find();
    return live == nullptr || live->version > seen || stopping_;
  });
  if (live == nullptr) {
    lock.unlock();
    *version = UINT64_MAX;
    return store_->Get(id);
  }
  *version = live->version;
  return live->job;
}

void JobManager::Shutdown(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  stopping_ = true;
  stop_reason_ = reason;
  for (auto& [id, live] : live_) live->cancel = true;
  work_cv_.notify_all();
  change_cv_.notify_all();
}

void JobManager::Worker() {
  for (;;) {
    std::string id;
    Live* live;
    v1::JobSpec spec;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      id = queue_.front();
      queue_.pop_front();
      // Dequeue and mark RUNNING in one critical section: a CancelJob in
      // between would otherwise find it QUEUED but no longer in the queue,
      // finish it and erase it while this worker still means to run it.
      auto it = live_.find(id);
      if (it == live_.end()) continue;
      live = it->second.get();
      live->job.set_state(v1::RUNNING);
      live->job.set_started_unix_ms(NowMs());
      --state_counts_[v1::QUEUED];
      ++state_counts_[v1::RUNNING];
      UpdateStateGaugesLocked();
      Publish(*live);
      spec = live->job.spec();
    }
    RunOne(id, live, spec);
  }
}

void JobManager::RunOne(const std::string& id, Live* live, const v1::JobSpec& spec) {
  // Live metrics of this job, labelled with its id (sim_job). A
  // distributed job's partitions publish their own figures on the services.
  std::unique_ptr<systems::JobMetrics> metrics;
  if (registry_) {
    metrics = std::make_unique<systems::JobMetrics>(
        registry_, id, spec.simulation().distributed() ? systems::JobFigures::kJobOnly : systems::JobFigures::kAll);
  }
  auto on_progress = [&](const JobProgress& p) {
    if (metrics) metrics->Update(p);
    std::lock_guard<std::mutex> lock(mu_);
    v1::JobProgress* out = live->job.mutable_progress();
    out->set_tokens_done(p.tokens_done);
    out->set_tokens_total(p.tokens_total);
    out->set_simulated_seconds(p.kernel.simulated_time.ToSeconds());
    out->set_events(p.kernel.committed_events);
    out->set_wall_seconds(p.kernel.wall_seconds);
    out->set_events_per_second(p.kernel.wall_seconds > 0 ? p.kernel.committed_events / p.kernel.wall_seconds : 0);
    ++live->version;  // progress is not persisted, only shown to watchers
    change_cv_.notify_all();
  };
  absl::StatusOr<v1::JobResult> result;
  if (!spec.simulation().distributed()) {
    auto on_model = [&](const ModelFigures& figures) {
      if (metrics) metrics->UpdateModel({figures});
    };
    result = RunJob(spec, on_progress, &live->cancel, on_model);
  } else if (services_ == nullptr) {
    result = absl::FailedPreconditionError("simulation.distributed is set but this coordinator has no services");
  } else {
    result = RunDistributedJob(spec, *services_, id, on_progress, &live->cancel);
  }
  if (metrics) {
    if (result.ok()) metrics->Finish(*result, static_cast<uint32_t>(spec.workload().decode_tokens()));
    metrics_linger_.Keep(std::move(metrics));
  }
  std::lock_guard<std::mutex> lock(mu_);
  v1::Job& job = live->job;
  if (result.ok()) {
    job.set_state(v1::SUCCEEDED);
    *job.mutable_result() = *result;
    *job.mutable_progress() = FinalProgress(*result, job.progress().tokens_total());
  } else if (result.status().code() == absl::StatusCode::kCancelled && !stopping_) {
    job.set_state(v1::CANCELLED);
    job.set_error(std::string(result.status().message()));
  } else {
    job.set_state(v1::FAILED);
    job.set_error(stopping_ ? stop_reason_ : std::string(result.status().message()));
  }
  job.set_finished_unix_ms(NowMs());
  --state_counts_[v1::RUNNING];
  ++state_counts_[job.state()];
  UpdateStateGaugesLocked();
  Publish(*live);
  live_.erase(id);
  change_cv_.notify_all();
}

}  // namespace strata::coordinator
