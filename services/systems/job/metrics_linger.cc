#include "services/systems/job/metrics_linger.h"

#include "absl/time/clock.h"

namespace strata::systems {

MetricsLinger::MetricsLinger(absl::Duration linger) : linger_(linger), thread_([this] { Loop(); }) {}

MetricsLinger::~MetricsLinger() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void MetricsLinger::Keep(std::unique_ptr<JobMetrics> metrics) {
  if (metrics == nullptr) return;
  if (linger_ <= absl::ZeroDuration()) return;  // `metrics` goes out of scope: its series go now
  {
    std::lock_guard<std::mutex> lock(mu_);
    kept_.emplace_back(absl::Now() + linger_, std::move(metrics));
  }
  cv_.notify_all();
}

void MetricsLinger::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (kept_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const absl::Time due = kept_.front().first;
    if (absl::Now() < due) {
      cv_.wait_for(lock, absl::ToChronoNanoseconds(due - absl::Now()));
      continue;
    }
    std::unique_ptr<JobMetrics> expired = std::move(kept_.front().second);
    kept_.pop_front();
    lock.unlock();
    expired.reset();  // removes its series; outside the lock, as scrapes may hold the registry
    lock.lock();
  }
  kept_.clear();
}

}  // namespace strata::systems
