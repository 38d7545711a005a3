#include "distributed/distributed_run.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "services/coordinator/job/job_runner.h"
#include "partition_hub.h"
#include "partition_server.h"
#include "partition_set.h"
#include "strata/sim/digest.h"
#include "strata/v1/partition_service.grpc.pb.h"

namespace strata::coordinator {
namespace {

using Clock = std::chrono::steady_clock;
using Stream = grpc::ClientReaderWriter<v1::ToPartitions, v1::FromPartitions>;

std::shared_ptr<grpc::Channel> DialService(const std::string& address) {
  return partition::DialKernelWire(address, partition::KernelWireChannelArguments());
}

// One service's stream and what it has said so far.
struct Site {
  ServiceEndpoint service;
  std::vector<sim::PartitionId> partitions;
  std::string description;  // "partition 2 (nand_ch1) on nand service 127.0.0.1:7801"
  std::unique_ptr<v1::PartitionService::Stub> stub;
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream;
  std::mutex write_mu;  // hub executors and the driver both write
  std::thread reader;
  // Guarded by Run::mu_.
  std::optional<v1::PartitionsLoaded> loaded;
  std::optional<v1::PartitionsDone> done;
  std::optional<v1::PartitionsReport> report;
  v1::PartitionsProgress progress;
  bool ended = false;
  grpc::Status end_status;

  bool Write(const v1::ToPartitions& message) {
    std::lock_guard<std::mutex> lock(write_mu);
    return stream->Write(message);
  }
};

class Run {
 public:
  explicit Run(const DistributedRunRequest& request) : request_(request), start_(Clock::now()) {}
  ~Run() { Stop("the run ended"); }

  absl::StatusOr<DistributedRunResult> Go() {
    const Placement& placement = request_.placement;
    const int n = placement.plan.partition_count;
    site_of_.resize(n);
    std::map<std::string, size_t> by_address;
    for (int p = 0; p < n; ++p) {
      auto [it, added] = by_address.emplace(placement.service[p].address, sites_.size());
      if (added) {
        sites_.push_back(std::make_unique<Site>());
        sites_.back()->service = placement.service[p];
      }
      sites_[it->second]->partitions.push_back(static_cast<sim::PartitionId>(p));
      site_of_[p] = it->second;
    }
    for (auto& site : sites_) {
      std::vector<std::string> parts;
      for (sim::PartitionId p : site->partitions) parts.push_back(placement.Describe(p));
      site->description = absl::StrJoin(parts, "; ");
    }
    hub_ = std::make_unique<partition::PartitionHub>(n, [this](sim::PartitionId p, v1::KernelReply* reply) {
      v1::ToPartitions out;
      out.mutable_reply()->Swap(reply);
      return sites_[site_of_[p]]->Write(out);
    });
    // Peer to peer: each service dials the others at the addresses the
    // coordinator dials; the session id tells this run's streams apart
    // from any other on the same services.
    const bool peer_possible =
        request_.load.sync() != v1::NULL_MESSAGE && n >= 2 && sites_.size() == static_cast<size_t>(n);
    using Wire = DistributedRunRequest::Wire;
    wire_ = !peer_possible                  ? Wire::kHub
            : request_.wire != Wire::kAuto ? request_.wire
            : n == 2                        ? Wire::kPeer
                                            : Wire::kStar;
    static std::atomic<uint64_t> sessions{0};
    const std::string session =
        absl::StrCat(request_.load.run_id(), "/", absl::ToUnixNanos(absl::Now()), "/", sessions.fetch_add(1));
    // Open every stream and load it; the readers start at once, so a
    // service that loads early may start its partitions (they wait at the
    // hub, or for their peers, for the others).
    for (auto& owned : sites_) {
      Site& site = *owned;
      site.stub = v1::PartitionService::NewStub(DialService(site.service.address));
      site.stream = site.stub->RunPartitions(&site.context);
      v1::ToPartitions load;
      *load.mutable_load() = request_.load;
      *load.mutable_load()->mutable_plan() = partition::ToProto(placement.plan);
      if (wire_ != DistributedRunRequest::Wire::kHub) {
        for (int p = 0; p < n; ++p) load.mutable_load()->add_peers(placement.service[p].address);
        load.mutable_load()->set_peer_session(session);
        load.mutable_load()->set_peer_star(wire_ == DistributedRunRequest::Wire::kStar);
      }
      for (sim::PartitionId p : site.partitions) load.mutable_load()->add_local_partitions(p);
      site.Write(load);
      site.reader = std::thread([this, &site] { Read(site); });
    }
    if (absl::Status s = WaitFor([](const Site& s) { return s.loaded.has_value(); }); !s.ok()) return s;
    for (auto& site : sites_) {
      if (!site->loaded->ok()) {
        return absl::InvalidArgumentError(absl::StrCat(site->description, " could not load: ", site->loaded->error()));
      }
      if (site->loaded->components() != request_.components) {
        return absl::InternalError(absl::StrCat(site->description, " built ", site->loaded->components(),
                                                " components; the coordinator built ", request_.components));
      }
    }
    if (wire_ != DistributedRunRequest::Wire::kHub) {
      // Every service registered its peer session: they may open their peer streams.
      v1::ToPartitions start;
      start.mutable_start_peers();
      for (auto& site : sites_) site->Write(start);
    }
    if (absl::Status s = WaitFor([](const Site& s) { return s.done.has_value(); }); !s.ok()) return s;
    if (absl::Status s = RunStatus(); !s.ok()) return s;

    DistributedRunResult result;
    result.wire = wire_;
    result.partitions.resize(n);
    for (auto& site : sites_) {
      result.final_time = std::max(result.final_time, sim::SimTime::Picoseconds(site->done->local_final_time_ps()));
      result.committed_events += site->done->committed_events();
      for (const auto& s : site->done->partitions()) {
        if (s.partition() >= 0 && s.partition() < n) result.partitions[s.partition()] = partition::FromProto(s);
      }
    }
    for (auto& site : sites_) {
      v1::ToPartitions finish;
      finish.mutable_finish()->set_global_final_time_ps(result.final_time.ps());
      site->Write(finish);
    }
    if (absl::Status s = WaitFor([](const Site& s) { return s.report.has_value(); }); !s.ok()) return s;
    result.wall_seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    std::vector<std::pair<uint32_t, uint64_t>> digests;
    for (auto& site : sites_) {
      for (const auto& d : site->report->digests()) digests.emplace_back(d.component(), d.digest());
      MergeFigures(site->report->figures(), &result.figures);
    }
    std::sort(digests.begin(), digests.end());
    bool complete = digests.size() == request_.components;
    for (size_t i = 0; complete && i < digests.size(); ++i) complete = digests[i].first == i;
    if (!complete) {
      return absl::InternalError(absl::StrCat("the services reported ", digests.size(), " component digests for ",
                                              request_.components, " components, not one each"));
    }
    std::vector<uint64_t> ordered;
    ordered.reserve(digests.size());
    for (const auto& d : digests) ordered.push_back(d.second);
    result.digest = sim::CombineDigest(ordered, result.final_time, result.committed_events);
    Close();
    return result;
  }

 private:
  void Read(Site& site) {
    v1::FromPartitions in;
    while (site.stream->Read(&in)) {
      if (in.has_call()) {
        hub_->OnCall(in.call());
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      switch (in.kind_case()) {
        case v1::FromPartitions::kLoaded: site.loaded = in.loaded(); break;
        case v1::FromPartitions::kProgress: site.progress = in.progress(); break;
        case v1::FromPartitions::kDone: site.done = in.done(); break;
        case v1::FromPartitions::kReport: site.report = in.report(); break;
        default: break;
      }
      cv_.notify_all();
    }
    grpc::Status status = site.stream->Finish();
    std::lock_guard<std::mutex> lock(mu_);
    site.ended = true;
    site.end_status = status;
    cv_.notify_all();
  }

  // Waits until every site satisfies `reached`, reporting progress on the
  // way. UNAVAILABLE naming the site when a stream ends first; CANCELLED
  // when the caller cancels. Either way the run is stopped everywhere.
  template <typename Reached>
  absl::Status WaitFor(Reached reached) {
    auto next_progress = Clock::now() + std::chrono::seconds(1);
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      bool all = true;
      for (auto& site : sites_) {
        if (reached(*site)) continue;
        all = false;
        if (site->ended) {
          const std::string reason =
              absl::StrCat("lost ", site->description, ": ",
                           site->end_status.ok() ? "the stream ended early" : site->end_status.error_message());
          lock.unlock();
          Stop(reason);
          return absl::UnavailableError(reason);
        }
      }
      if (all) return absl::OkStatus();
      if (request_.cancel != nullptr && request_.cancel->load()) {
        lock.unlock();
        Stop("the job was cancelled");
        return absl::CancelledError("the job was cancelled");
      }
      cv_.wait_for(lock, std::chrono::milliseconds(100));
      if (Clock::now() >= next_progress && request_.on_progress) {
        next_progress += std::chrono::seconds(1);
        const DistributedProgress p = ProgressLocked();
        lock.unlock();
        request_.on_progress(p);
        lock.lock();
      }
    }
  }

  DistributedProgress ProgressLocked() const {
    DistributedProgress p;
    p.kernel.wall_seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    p.kernel.simulated_time = sim::SimTime::Infinite();
    for (const auto& site : sites_) {
      if (site->progress.has_driver()) p.tokens_done = site->progress.tokens_done();
      for (const auto& s : site->progress.partitions()) {
        p.kernel.partitions.push_back(partition::FromProto(s));
        p.kernel.committed_events += s.committed_events();
        p.kernel.simulated_time = std::min(p.kernel.simulated_time, sim::SimTime::Picoseconds(s.local_time_ps()));
      }
    }
    if (p.kernel.partitions.empty()) p.kernel.simulated_time = sim::SimTime::Zero();
    return p;
  }

  // Every service said `done`: the first real error wins over the aborts
  // it caused elsewhere.
  absl::Status RunStatus() {
    std::string aborted;
    for (auto& site : sites_) {
      const auto code = static_cast<absl::StatusCode>(site->done->code());
      if (code == absl::StatusCode::kOk) continue;
      const std::string message = absl::StrCat(site->description, ": ", site->done->error());
      if (code != absl::StatusCode::kAborted) {
        Stop(message);
        return absl::Status(code, message);
      }
      if (aborted.empty()) aborted = message;
    }
    if (!aborted.empty()) {
      const std::string reason = hub_->aborted() ? hub_->abort_reason() : aborted;
      Stop(reason);
      return absl::AbortedError(reason);
    }
    return absl::OkStatus();
  }

  // Normal end: every service reported; close our side and let them end.
  void Close() {
    for (auto& site : sites_) {
      std::lock_guard<std::mutex> lock(site->write_mu);
      site->stream->WritesDone();
    }
    Join();
  }

  // Abnormal end: wake every blocked call, cancel every stream.
  void Stop(const std::string& reason) {
    if (hub_) hub_->Abort(reason);
    for (auto& site : sites_) site->context.TryCancel();
    Join();
  }

  void Join() {
    for (auto& site : sites_) {
      if (site->reader.joinable()) site->reader.join();
    }
    hub_.reset();  // after the readers: they call into it
  }

  const DistributedRunRequest& request_;
  const Clock::time_point start_;
  std::vector<std::unique_ptr<Site>> sites_;
  std::vector<size_t> site_of_;  // by partition
  std::unique_ptr<partition::PartitionHub> hub_;
  DistributedRunRequest::Wire wire_ = DistributedRunRequest::Wire::kHub;  // resolved
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace

std::string WireName(DistributedRunRequest::Wire wire) {
  switch (wire) {
    case DistributedRunRequest::Wire::kPeer: return "peer to peer";
    case DistributedRunRequest::Wire::kStar: return "star via partition 0";
    case DistributedRunRequest::Wire::kAuto: return "auto";
    case DistributedRunRequest::Wire::kHub: break;
  }
  return "coordinator hub";
}

absl::StatusOr<DistributedRunResult> RunDistributed(const DistributedRunRequest& request) {
  if (request.placement.plan.partition_count < 1) {
    return absl::InvalidArgumentError("placement has no partitions; allowed: at least one");
  }
  Run run(request);
  return run.Go();
}

}  // namespace strata::coordinator
