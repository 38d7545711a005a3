// A job's DriveSpec (job.proto) as the SSD models take it: the NAND
// geometry, per-page-type timing, channel and ECC (services/nand
// NandConfig), the PCIe link and NVMe host path (NvmeConfig), and the
// controller's firmware cost and FTL policy (SsdControllerConfig). Every
// field's unit, default, range and source is declared once here
// (DriveParameters), so `strata describe` prints them and ApplyParameters
// fills and checks them. A field left 0 (or empty) keeps the default drive,
// AiF's 1 TB TLC SSD, exactly: each default below is the value the models
// already had.
#ifndef STRATA_SYSTEMS_CORE_DRIVE_SPEC_H_
#define STRATA_SYSTEMS_CORE_DRIVE_SPEC_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "services/controller/nvme/nvme_interface.h"
#include "services/controller/ssd/ssd_controller.h"
#include "services/nand/flash/nand_config.h"
#include "services/systems/core/parameters.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

// The drive's fields, each put below `prefix` ("drive").
std::vector<Parameter> DriveParameters(std::string_view prefix);

// Fills the drive's defaults and checks it (INVALID_ARGUMENT naming
// "<path>.<field>", its value and what is allowed): the declared ranges, and
// the rules that are more than a range (pages per block a multiple of the
// cell's bits, one read / program time per page type, a power-of-two PCIe
// payload, the NVMe queues and arbitration burst).
absl::Status NormalizeDrive(std::string_view path, v1::DriveSpec* drive);

// A DriveSpec in a system other than ssd_offload (aif, ssd_isc), which
// takes only the fields in `applicable` (names below the DriveSpec, e.g.
// "channels"). Every field is declared below `prefix` as a rule: an
// applicable one keeps its range and source, with "0: <system>'s value" as
// its default; the others must stay unset.
std::vector<Parameter> DriveParametersFor(std::string_view prefix, const std::vector<std::string>& applicable,
                                          std::string_view system);
// INVALID_ARGUMENT naming "<path>.<field>" for a set field not in
// `applicable`, then for a set field out of its range or rule (as
// NormalizeDrive checks them). Fills nothing: unset fields keep the
// system's own values.
absl::Status CheckDriveFor(std::string_view path, const v1::DriveSpec& drive,
                           const std::vector<std::string>& applicable, std::string_view system);
// A system field that a drive field restates: when `drive_value` is set
// (> 0) it must equal `*own` unless `*own` is unset (0), and `*own` takes it.
absl::Status TakeDriveValue(std::string_view own_path, int32_t* own, std::string_view drive_path,
                            int32_t drive_value);

// The drive into the models' configs. Fields left 0 keep what the config
// holds, so an unnormalised spec gives the same drive as a normalised one.
void ApplyDriveToNand(const v1::DriveSpec& drive, nand::NandConfig* config);
void ApplyDriveToNvme(const v1::DriveSpec& drive, controller::NvmeConfig* config);
void ApplyDriveToController(const v1::DriveSpec& drive, controller::SsdControllerConfig* config);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CORE_DRIVE_SPEC_H_
