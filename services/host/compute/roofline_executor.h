// RooflineExecutor: a processor that runs one op at a time, each taking
//   per-op overhead + max(flops / peak, bytes / memory bandwidth)
// (Williams, Waterman & Patterson, "Roofline", CACM 2009). It stands for
// the host CPU with its DRAM, or a GPU with its HBM.
//
// Out-of-core weights (GPU): layers marked `streamed` are not resident;
// their weights are fetched over the "pcie" port into `stream_buffers`
// layer-sized buffers, in layer order across tokens, as soon as a buffer is
// free (FlexGen-style prefetch: layer i+1 arrives while layer i computes).
// An op of a streamed layer waits for its layer's transfer.
//
// Breakdown of an op's time: its own run (per-op overhead as other, the
// rest under its kind's category); time queued behind other ops under
// their categories, and time the unit stalled on weights as pcie_nvme
// (OccupancyLedger), so a wait on the critical path shows what it waited
// for.
//
// Ports: "driver" (ops in, completions out); "pcie" (only when streaming).
// Statistics: busy time, ops, bytes from memory, bytes streamed, time
// waiting for weights.
#ifndef STRATA_HOST_COMPUTE_ROOFLINE_EXECUTOR_H_
#define STRATA_HOST_COMPUTE_ROOFLINE_EXECUTOR_H_

#include <deque>
#include <string>
#include <vector>

#include "compute/occupancy_ledger.h"
#include "strata/sim/component.h"
#include "workload/ops.h"

namespace strata::host {

struct RooflineConfig {
  std::string name = "cpu";
  double peak_flops = 1e12;                  // matrix ops (GEMV, attention)
  double vector_flops = 1e11;                // element-wise ops
  double memory_bytes_per_second = 50e9;
  sim::SimTime per_op_overhead;
  Category gemv_category = Category::kHostGemv;
  Category attention_category = Category::kHostAttention;
  Category other_category = Category::kHostOther;
  // Out-of-core streaming (empty: every weight is resident).
  std::vector<int64_t> streamed_layer_bytes;  // per layer; 0 = resident
  int stream_buffers = 2;
  uint32_t tokens = 0;                        // prefill + decode tokens to prefetch for
};

// max(flops / rate, bytes / memory bandwidth) of `op` on `config`'s
// processor, without the per-op overhead: the roofline every executor of
// host compute uses.
sim::SimTime RooflineTime(const RooflineConfig& config, const Op& op);

class RooflineExecutor final : public sim::Component {
 public:
  explicit RooflineExecutor(RooflineConfig config);
  void Handle(const sim::Event& event) override;
  void Finish() override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;

  sim::SimTime busy_time() const { return busy_; }
  int64_t memory_bytes() const { return memory_bytes_; }
  int64_t flops() const { return flops_; }  // of the ops run (energy accounting)
  int64_t streamed_bytes() const { return streamed_bytes_; }
  const RooflineConfig& config() const { return config_; }
  // Duration of `op` once it runs (no waiting): exposed for tests.
  sim::SimTime ComputeTime(const Op& op) const;

 private:
  struct Pending {
    Op op;
    sim::SimTime arrived;
    OccupancyLedger::Totals at_arrival;
  };
  Category WorkCategory(const Op& op) const;
  bool streaming() const { return !config_.streamed_layer_bytes.empty(); }
  bool WeightsReady(const Op& op) const;
  void TryStart();
  void IssueFetches();
  uint64_t FetchKey(uint32_t token, uint16_t layer) const { return (uint64_t{token} << 16) | layer; }

  const RooflineConfig config_;
  sim::PortId driver_port_;
  sim::PortId pcie_port_ = 0;
  std::deque<Pending> queue_;
  bool running_ = false;
  Pending current_;
  OpDone current_wait_;  // the current op's wait, booked when it started
  OccupancyLedger ledger_;
  sim::SimTime started_;
  sim::SimTime weight_wait_start_;
  bool waiting_for_weights_ = false;
  // Streaming state: the next (token, layer) to fetch, buffers in use, and
  // which (token, layer) transfers have landed.
  uint32_t fetch_token_ = 0;
  int fetch_layer_ = -1;
  int buffers_in_use_ = 0;
  std::vector<uint64_t> landed_;
  std::vector<uint64_t> in_flight_;
  // Statistics.
  sim::SimTime busy_;
  sim::SimTime weight_wait_;
  uint64_t ops_ = 0;
  int64_t memory_bytes_ = 0;
  int64_t flops_ = 0;
  int64_t streamed_bytes_ = 0;
};

}  // namespace strata::host

#endif  // STRATA_HOST_COMPUTE_ROOFLINE_EXECUTOR_H_
