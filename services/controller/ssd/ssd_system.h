// BuildSsd: wires a plain NVMe SSD into a Simulation — a host workload, the
// NVMe interface (host queues + PCIe + front end), the controller back end
// and the NAND array:
//
//   SsdWorkload.nvme -- NvmeInterface.host      latency 0 (same group "host")
//   NvmeInterface.backend -- SsdController.frontend   frontend_link
//   SsdController.ch<c> -- NandChannel<c>.host        channel_link
//
// Partition groups: "host" (workload, interface), "controller", and the
// NAND array's "nand_ch<c>", so a multi-partition run cuts only links with
// latency > 0.
#ifndef STRATA_CONTROLLER_SSD_SSD_SYSTEM_H_
#define STRATA_CONTROLLER_SSD_SSD_SYSTEM_H_

#include "absl/status/statusor.h"
#include "flash/nand_channel.h"
#include "nvme/nvme_interface.h"
#include "ssd/ssd_controller.h"
#include "strata/sim/simulation.h"
#include "workload/ssd_workload.h"

namespace strata::controller {

struct SsdSystemConfig {
  nand::NandConfig nand = nand::AifDefaultNandConfig();
  SsdControllerConfig controller;
  NvmeConfig nvme;
  WorkloadConfig workload;
  // Controller SoC interconnect between the NVMe front end and the FTL
  // processor. *typical* (assumption): a few on-chip bus cycles.
  SimTime frontend_link = SimTime::Nanoseconds(20);
  // Controller to flash-channel sequencer, on chip. *typical* (assumption);
  // the NAND tests use the same 10 ns.
  SimTime channel_link = SimTime::Nanoseconds(10);
  // Logical pages written through the FTL before the run (0: none).
  uint64_t precondition_pages = 0;
};

struct SsdSystem {
  SsdWorkload* workload = nullptr;
  NvmeInterface* nvme = nullptr;
  SsdController* controller = nullptr;
  nand::NandArray nand;
};

// INVALID_ARGUMENT naming the field for a bad config, including
// nvme.lba_bytes != controller.lba_bytes != workload.lba_bytes. `cancel`
// (may be null) reaches the FTL's construction, the preconditioning and the
// NAND array: CANCELLED soon after it is set.
absl::StatusOr<SsdSystem> BuildSsd(const SsdSystemConfig& config, sim::Simulation* sim,
                                   const std::atomic<bool>* cancel = nullptr);

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_SSD_SSD_SYSTEM_H_
