// AifExecutor: the host-side driver of an AiF SSD in an LLM job (AiF,
// ISCA'25: llama.cpp with decode GEMVs offloaded through NVMe vendor
// commands). Before decoding it places every weight matrix with aif_post,
// one command at a time, then tells the workload driver it is ready. Each
// offloaded GEMV op becomes one aif_gemv of its placed matrix.
//
// Parallel host/SSD execution (AiF Fig. 15c, Section 5.1): with a host
// share s > 0 the host keeps HostShareRows(rows, s) output rows of every
// matrix in its DRAM and computes them itself (the DecodeDriver sends those
// rows to the host CPU as ops of their own); aif_post places only the
// remaining rows, and each aif_gemv runs over that smaller matrix.
//
// Ports: "driver" (ops in; completions and kOffloadReady out),
//        "ssd" (AifSsd "host": kAifSubmit out, kAifComplete in).
// Breakdown: an op's time is the command's flash step (flash_array: array
//   reads, ECCLITE and PE MACs overlap in the dies) and the rest of its
//   latency (pcie_nvme: submission, doorbell, fetch, firmware, DMA, vector
//   load, reduce, completion), as AifSsd reports them. Time an op waited
//   behind other commands (the SSD runs one at a time) is booked under
//   theirs: each command's flash and the rest of its span, pro rata for the
//   part of it the op waited through; so the parts add up to the wait.
// Statistics: matrices posted, placement time, GEMVs.
#ifndef STRATA_SYSTEMS_AIF_EXECUTOR_H_
#define STRATA_SYSTEMS_AIF_EXECUTOR_H_

#include <deque>
#include <map>
#include <vector>

#include "services/host/model/model_catalog.h"
#include "strata/sim/component.h"
#include "services/host/workload/ops.h"

namespace strata::systems {

class AifExecutor final : public sim::Component {
 public:
  // `host_share`: the fraction of every matrix's rows the host computes
  // (0 = serial execution: the SSD holds and computes every row).
  AifExecutor(const host::ModelShape& shape, double host_share);
  void Init() override;
  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;
  sim::SimTime placement_time() const { return placement_time_; }
  // Bytes of weights the host keeps in DRAM at host share `share`: its
  // HostShareRows of every matrix a decoded token multiplies (INT8).
  static uint64_t HostResidentBytes(const host::ModelShape& shape, double share);
  // Weight bytes placed with aif_post (INT8: one byte per weight).
  uint64_t posted_bytes() const { return posted_bytes_; }

 private:
  struct MatrixShape {
    uint64_t key;  // layer << 16 | matrix
    uint32_t rows, cols;
  };
  // Every weight matrix a decoded token multiplies, whole, in posting order.
  static std::vector<MatrixShape> DecodeMatrices(const host::ModelShape& shape);
  void PostNext();
  void SendNextGemv();

  std::vector<MatrixShape> to_post_;
  size_t posted_ = 0;
  std::map<uint64_t, uint32_t> matrix_id_;  // key -> AifSsd matrix id
  sim::PortId driver_, ssd_;
  struct Waiting {
    host::Op op;
    sim::SimTime arrived;
    host::OpDone wait;  // the commands it has waited through so far
  };
  std::deque<Waiting> waiting_;
  bool busy_ = false;
  Waiting current_{};
  sim::SimTime current_start_;
  sim::SimTime placement_time_;
  uint64_t gemvs_ = 0;
  uint64_t posted_bytes_ = 0;
};

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_AIF_EXECUTOR_H_
