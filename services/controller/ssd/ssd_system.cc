#include "ssd/ssd_system.h"

#include "absl/strings/str_cat.h"

namespace strata::controller {

absl::StatusOr<SsdSystem> BuildSsd(const SsdSystemConfig& config, sim::Simulation* sim,
                                   const std::atomic<bool>* cancel) {
  if (absl::Status s = ValidateNvmeConfig(config.nvme); !s.ok()) return s;
  if (absl::Status s = ValidateWorkloadConfig(config.workload); !s.ok()) return s;
  if (config.controller.lba_bytes != config.nvme.lba_bytes || config.workload.lba_bytes != config.nvme.lba_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("controller.lba_bytes = ", config.controller.lba_bytes,
                                                   ", workload.lba_bytes = ", config.workload.lba_bytes,
                                                   ": both must equal nvme.lba_bytes = ", config.nvme.lba_bytes));
  }
  if (config.frontend_link <= SimTime::Zero() || config.channel_link <= SimTime::Zero()) {
    return absl::InvalidArgumentError(absl::StrCat("frontend_link = ", config.frontend_link.ToString(),
                                                   ", channel_link = ", config.channel_link.ToString(),
                                                   ": both must be > 0 (they are cross-partition lookahead)"));
  }
  absl::StatusOr<std::unique_ptr<SsdController>> ctrl = SsdController::Create("controller", config.nand,
                                                                              config.controller, cancel);
  if (!ctrl.ok()) return ctrl.status();
  if (config.precondition_pages > 0) {
    if (absl::Status s = (*ctrl)->Precondition(0, config.precondition_pages, cancel); !s.ok()) return s;
  }
  SsdSystem out;
  out.controller = ctrl->get();
  absl::StatusOr<nand::NandArray> array = nand::BuildNandArray(config.nand, sim, "nand", cancel);
  if (!array.ok()) return array.status();
  out.nand = *array;
  sim->Add(*std::move(ctrl), "controller");
  out.nvme = sim->Emplace<NvmeInterface>("host", "nvme", config.nvme);
  out.workload = sim->Emplace<SsdWorkload>("host", "workload", config.workload);
  if (absl::Status s = sim->Connect(out.workload->id(), "nvme", out.nvme->id(), "host", SimTime::Zero()); !s.ok()) {
    return s;
  }
  if (absl::Status s = sim->Connect(out.nvme->id(), "backend", out.controller->id(), "frontend", config.frontend_link);
      !s.ok()) {
    return s;
  }
  for (uint32_t c = 0; c < config.nand.geometry.channels; ++c) {
    if (absl::Status s = sim->Connect(out.controller->id(), absl::StrCat("ch", c), out.nand.channels[c]->id(), "host",
                                      config.channel_link);
        !s.ok()) {
      return s;
    }
  }
  return out;
}

}  // namespace strata::controller
