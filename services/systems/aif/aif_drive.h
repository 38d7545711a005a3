// AifSystem.drive: AiF's SSD described in DriveSpec's terms (job.proto),
// for the fields that apply to it, through the DriveSpec -> config
// translation ssd_offload uses (services/systems/core/drive_spec.h).
#ifndef STRATA_SYSTEMS_AIF_AIF_DRIVE_H_
#define STRATA_SYSTEMS_AIF_AIF_DRIVE_H_

#include <vector>

#include "absl/status/status.h"
#include "services/controller/aif/aif_ssd.h"
#include "services/systems/core/parameters.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

// The drive's fields below "drive": those AiF's SSD takes (geometry,
// program / erase times, channel rate and width, on-die ECC, PCIe link,
// host costs, firmware time, chip rule) and the rest, which must stay
// unset: read_us (AiF's reads follow the phase model that cr-read and
// be-enc change: set system.aif.timing), the suspend times (AiF suspends
// nothing), the NVMe queues (AiF's host submits at queue depth 1), the FTL
// fields and precondition (AiF places weights in IFP blocks, no FTL runs).
std::vector<Parameter> AifDriveParameters();

// Before the system's own defaults: refuses fields that do not apply and
// bad values, and moves channels, chips_per_channel and channel_mts into
// system.aif's own fields (which must agree when set).
absl::Status NormalizeAifDrive(v1::AifSystem* aif);

// The drive's set fields into AiF's SSD config (none set: unchanged).
void ApplyAifDrive(const v1::DriveSpec& drive, controller::AifSsdConfig* config);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_AIF_AIF_DRIVE_H_
