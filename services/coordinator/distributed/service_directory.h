// ServiceDirectory: the nand, controller and host services the coordinator
// may place partitions on. Services register themselves (ServiceRegistry,
// then again every heartbeat) or are listed by flag (--nand, --controller,
// --host). Before a job is placed, every known service is probed with
// PartitionService.Describe under a short deadline: only services that
// answer, with the role they were listed under, take part. So a service
// that died since is skipped by the next job without any bookkeeping.
#ifndef STRATA_COORDINATOR_DISTRIBUTED_SERVICE_DIRECTORY_H_
#define STRATA_COORDINATOR_DISTRIBUTED_SERVICE_DIRECTORY_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "distributed/placement.h"

namespace strata::coordinator {

class ServiceDirectory {
 public:
  // Registered services that have not registered again within
  // kForgetAfterHeartbeats heartbeats are forgotten.
  static constexpr int kHeartbeatSeconds = 5;
  static constexpr int kForgetAfterHeartbeats = 3;

  // Whether a service answers as `service.role` within `timeout`.
  using Probe = std::function<bool(const ServiceEndpoint& service, absl::Duration timeout)>;
  // The clock and the probe are injectable for tests; by default the wall
  // clock and PartitionService.Describe over gRPC (ProbeOverGrpc).
  ServiceDirectory();
  ServiceDirectory(std::function<absl::Time()> now, Probe probe);
  static bool ProbeOverGrpc(const ServiceEndpoint& service, absl::Duration timeout);

  // Listed by flag: kept for good.
  void AddStatic(v1::ServiceRole role, const std::string& address);
  // INVALID_ARGUMENT for a missing role or address.
  absl::Status Register(v1::ServiceRole role, const std::string& address);
  // Services that answer a probe within `timeout`, in a stable order (by
  // role, then address), so placement does not depend on who registered
  // first.
  std::vector<ServiceEndpoint> Available(absl::Duration timeout = absl::Seconds(1));
  size_t known() const;

  // After a coordinator restart the services need up to a heartbeat to
  // register again, while jobs queued before the restart start at once.
  // For `grace` from construction, AvailableWithinGrace waits for them.
  void set_startup_grace(absl::Duration grace);
  // Available(), retried each time a service registers (and at least
  // every 500 ms) until `enough` accepts the list, the start-up grace
  // ends or *cancel is set; then the last list, enough or not. Outside
  // the grace it is Available().
  std::vector<ServiceEndpoint> AvailableWithinGrace(
      const std::function<bool(const std::vector<ServiceEndpoint>&)>& enough, const std::atomic<bool>* cancel);

 private:
  struct Entry {
    v1::ServiceRole role;
    bool listed = false;
    absl::Time last_seen;
  };
  const std::function<absl::Time()> now_;
  const Probe probe_;
  const absl::Time started_;
  absl::Duration grace_ = absl::ZeroDuration();
  mutable std::mutex mu_;
  std::condition_variable registered_;
  uint64_t registrations_ = 0;
  std::map<std::string, Entry> services_;  // by address
};

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_DISTRIBUTED_SERVICE_DIRECTORY_H_
