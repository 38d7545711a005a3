#include "distributed/service_directory.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "partition_server.h"
#include "strata/v1/partition_service.grpc.pb.h"

namespace strata::coordinator {

ServiceDirectory::ServiceDirectory() : ServiceDirectory([] { return absl::Now(); }, &ProbeOverGrpc) {}

ServiceDirectory::ServiceDirectory(std::function<absl::Time()> now, Probe probe)
    : now_(std::move(now)), probe_(std::move(probe)), started_(now_()) {}

bool ServiceDirectory::ProbeOverGrpc(const ServiceEndpoint& service, absl::Duration timeout) {
  auto stub = v1::PartitionService::NewStub(partition::DialKernelWire(service.address, grpc::ChannelArguments()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout));
  v1::DescribeResponse response;
  return stub->Describe(&context, v1::DescribeRequest(), &response).ok() && response.role() == service.role;
}

void ServiceDirectory::AddStatic(v1::ServiceRole role, const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  services_[address] = Entry{role, true, now_()};
}

absl::Status ServiceDirectory::Register(v1::ServiceRole role, const std::string& address) {
  if (role == v1::SERVICE_ROLE_UNSPECIFIED) {
    return absl::InvalidArgumentError("role is unspecified; allowed: NAND, CONTROLLER, HOST");
  }
  if (address.empty()) return absl::InvalidArgumentError("address is empty; allowed: HOST:PORT");
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = services_[address];
  e.role = role;
  e.last_seen = now_();
  ++registrations_;
  registered_.notify_all();
  return absl::OkStatus();
}

void ServiceDirectory::set_startup_grace(absl::Duration grace) {
  std::lock_guard<std::mutex> lock(mu_);
  grace_ = grace;
}

std::vector<ServiceEndpoint> ServiceDirectory::AvailableWithinGrace(
    const std::function<bool(const std::vector<ServiceEndpoint>&)>& enough, const std::atomic<bool>* cancel) {
  for (;;) {
    uint64_t seen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen = registrations_;
    }
    std::vector<ServiceEndpoint> alive = Available();
    if (enough(alive) || (cancel != nullptr && *cancel)) return alive;
    std::unique_lock<std::mutex> lock(mu_);
    const absl::Time end = started_ + grace_;
    if (now_() >= end) return alive;
    // Wake on a registration, or poll: a listed service may come up
    // without registering, and the cancel flag has no condition variable.
    registered_.wait_for(lock, absl::ToChronoNanoseconds(std::min(end - now_(), absl::Milliseconds(500))),
                         [&] { return registrations_ != seen; });
  }
}

size_t ServiceDirectory::known() const {
  std::lock_guard<std::mutex> lock(mu_);
  return services_.size();
}

std::vector<ServiceEndpoint> ServiceDirectory::Available(absl::Duration timeout) {
  std::vector<ServiceEndpoint> candidates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const absl::Time stale = now_() - absl::Seconds(kForgetAfterHeartbeats * kHeartbeatSeconds);
    for (auto it = services_.begin(); it != services_.end();) {
      if (!it->second.listed && it->second.last_seen < stale) {
        it = services_.erase(it);
        continue;
      }
      candidates.push_back({it->second.role, it->first});
      ++it;
    }
  }
  std::vector<ServiceEndpoint> alive;
  for (const ServiceEndpoint& c : candidates) {
    if (probe_(c, timeout)) alive.push_back(c);
  }
  std::sort(alive.begin(), alive.end(), [](const ServiceEndpoint& a, const ServiceEndpoint& b) {
    return a.role != b.role ? a.role < b.role : a.address < b.address;
  });
  return alive;
}

}  // namespace strata::coordinator
