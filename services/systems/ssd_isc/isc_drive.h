// SsdIscSystem.drive: the flash of the controller-GEMV SSD described in
// DriveSpec's terms (job.proto), for the fields that apply to it, through
// the DriveSpec -> config translation ssd_offload uses
// (services/systems/core/drive_spec.h).
#ifndef STRATA_SYSTEMS_SSD_ISC_ISC_DRIVE_H_
#define STRATA_SYSTEMS_SSD_ISC_ISC_DRIVE_H_

#include <vector>

#include "absl/status/status.h"
#include "services/nand/flash/nand_config.h"
#include "services/systems/core/parameters.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

// The drive's fields below "drive": those this system's flash takes
// (geometry, read times, channel rate and width, ECC, chip rule) and the
// rest, which must stay unset: program / erase / suspend times (the
// weights are placed before the run, untimed), the PCIe link, NVMe queues
// and host costs (the GEMV engine sits in the controller, no NVMe path is
// modelled), firmware time, the FTL fields and precondition.
std::vector<Parameter> IscDriveParameters();

// Before the system's own defaults: refuses fields that do not apply and
// bad values, and moves channels, dies (chips_per_channel x dies_per_chip),
// planes_per_die, blocks_per_plane and channel_mts into system.ssd_isc.flash
// (which must agree when set). With dies_per_chip alone, flash.dies_per_channel
// (the total) is grouped into chips of that many dies.
absl::Status NormalizeIscDrive(v1::SsdIscSystem* isc);

// The drive's set fields into the flash config (none set: unchanged).
void ApplyIscDrive(const v1::DriveSpec& drive, nand::NandConfig* config);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_SSD_ISC_ISC_DRIVE_H_
