// SsdWorkload: a plain block-storage workload generator (fio-like) driving
// an NVMe interface with a fixed number of commands in flight.
//
// Hardware it stands for: the host application issuing I/O — a closed loop
// of queue_depth outstanding commands: each completion issues the next.
//
// Ports:
//   "nvme"  the NvmeInterface "host" port: sends kNvmeSubmit, receives
//           kNvmeComplete.
// Parameters (WorkloadConfig):
//   pattern        kSequential (offsets advance by block_bytes and wrap at
//                  the span) | kRandom (uniform block-aligned offsets)
//   block_bytes    bytes per command, a multiple of lba_bytes      (16384)
//   queue_depth    commands in flight                               (32)
//   read_fraction  probability a command is a read, 0..1             (1.0)
//   offset_bytes   start of the region, a multiple of block_bytes   (0)
//   span_bytes     size of the region, >= block_bytes               (1 GiB)
//   count          commands in the run                              (10000)
//   duration       no command is issued at or after this simulated time; the
//                  run ends when those in flight complete      (Infinite)
//   lba_bytes      must equal the interface's lba_bytes             (4096)
// Random numbers come from the component's stream (run seed, id).
// Statistics (Result): commands, bytes, IOPS and bandwidth over first
//   submit .. last completion, latency mean and p50/p99/p99.9 (nearest
//   rank) overall and per kind, errors.
#ifndef STRATA_CONTROLLER_WORKLOAD_SSD_WORKLOAD_H_
#define STRATA_CONTROLLER_WORKLOAD_SSD_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nvme/nvme_events.h"
#include "strata/sim/component.h"

namespace strata::controller {

using sim::SimTime;

enum class AccessPattern : uint8_t { kSequential, kRandom };

struct WorkloadConfig {
  AccessPattern pattern = AccessPattern::kRandom;
  uint32_t block_bytes = 16384;
  uint32_t queue_depth = 32;
  double read_fraction = 1.0;
  uint64_t offset_bytes = 0;
  uint64_t span_bytes = uint64_t{1} << 30;
  uint64_t count = 10000;
  uint32_t lba_bytes = 4096;
  SimTime duration = SimTime::Infinite();
};

// INVALID_ARGUMENT naming the field ("workload.block_bytes"), its value and
// what is allowed.
absl::Status ValidateWorkloadConfig(const WorkloadConfig& config);

struct LatencySummary {
  uint64_t count = 0;
  SimTime mean;
  SimTime p50;
  SimTime p99;
  SimTime p999;
  SimTime max;
};

class SsdWorkload final : public sim::Component {
 public:
  // `config` must have passed ValidateWorkloadConfig.
  SsdWorkload(std::string name, const WorkloadConfig& config);

  void Init() override;
  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;

  struct Result {
    uint64_t commands = 0;
    uint64_t reads = 0;
    uint64_t writes = 0;
    uint64_t errors = 0;
    uint64_t bytes = 0;
    SimTime elapsed;  // first submit .. last completion
    double iops = 0;
    double bytes_per_second = 0;
    LatencySummary all, read, write;
  };
  Result result() const;
  // Heap bytes the workload holds per command it issues: its submit time,
  // opcode and latency, and at the peak (result()) the merged copy of every
  // latency. The admission estimate's I/O-record term (docs/admission.md).
  static constexpr size_t BytesPerCommand() { return 3 * sizeof(SimTime) + sizeof(NvmeOpcode); }

 private:
  void Issue();

  const WorkloadConfig config_;
  sim::PortId nvme_;
  uint64_t issued_ = 0;
  uint64_t next_seq_block_ = 0;
  std::vector<SimTime> submit_time_;     // by cid
  std::vector<NvmeOpcode> opcode_;       // by cid
  std::vector<SimTime> read_latency_, write_latency_;
  uint64_t errors_ = 0;
  SimTime first_submit_ = SimTime::Infinite();
  SimTime last_complete_;
};

// Nearest-rank percentiles of `latencies` (any order).
LatencySummary Summarize(std::vector<SimTime> latencies);

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_WORKLOAD_SSD_WORKLOAD_H_
