// NvmeHostMux: several host applications sharing one NVMe queue pair, e.g.
// llama.cpp's page faults and a user's fio job on the same SSD (the AiF
// reviewers' "user I/O beside a running LLM job").
//
// Hardware it stands for: the block layer, merging submitters into the
// driver's queue in arrival order (Linux blk-mq with one hardware queue).
//
// Ports: "nvme" (to NvmeInterface "host": kNvmeSubmit out, kNvmeComplete
//   in); "in0".."in<N-1>" (one per application: kNvmeSubmit in,
//   kNvmeComplete out).
// Behaviour: a submission from in<k> goes on with cid * N + k; its
//   completion returns to in<k> with the original cid. No time of its own:
//   connect it with zero-latency links inside the host's partition group.
// Statistics: commands per input.
#ifndef STRATA_CONTROLLER_NVME_NVME_HOST_MUX_H_
#define STRATA_CONTROLLER_NVME_NVME_HOST_MUX_H_

#include <string>
#include <vector>

#include "strata/sim/component.h"

namespace strata::controller {

class NvmeHostMux final : public sim::Component {
 public:
  NvmeHostMux(std::string name, uint32_t inputs);

  void Handle(const sim::Event& event) override;
  void AddToDigest(sim::DigestBuilder& digest) const override;
  void CollectStatistics(std::vector<sim::Statistic>* out) const override;

 private:
  sim::PortId nvme_;
  std::vector<sim::PortId> inputs_;
  std::vector<uint64_t> commands_;  // per input
};

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_NVME_NVME_HOST_MUX_H_
