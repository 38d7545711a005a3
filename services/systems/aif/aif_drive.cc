#include "services/systems/aif/aif_drive.h"

#include <string>

#include "services/systems/core/drive_spec.h"
#include "services/systems/core/spec_fields.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {

namespace {
const std::vector<std::string>& Applicable() {
  static const std::vector<std::string> kFields = {
      "channels",       "chips_per_channel",  "dies_per_chip",       "planes_per_die",    "blocks_per_plane",
      "pages_per_block", "page_kib",          "cell_type",           "program_us",        "erase_us",
      "channel_mts",    "channel_width_bits", "ecc",                 "pcie_generation",   "pcie_lanes",
      "pcie_max_payload_bytes", "host_submit_us", "completion",      "interrupt_us",      "poll_detect_us",
      "firmware_per_command_us", "chip_die_interleave"};
  return kFields;
}
}  // namespace

std::vector<Parameter> AifDriveParameters() { return DriveParametersFor("drive", Applicable(), "aif"); }

absl::Status NormalizeAifDrive(v1::AifSystem* a) {
  if (!a->has_drive()) return absl::OkStatus();
  const v1::DriveSpec& d = a->drive();
  RETURN_IF_ERROR(CheckDriveFor("system.aif.drive", d, Applicable(), "aif"));
  if (d.ecc() != v1::DRIVE_ECC_UNSPECIFIED && d.ecc() != v1::DRIVE_ECC_ON_DIE) {
    return Invalid("system.aif.drive.ecc", d.ecc(), "DRIVE_ECC_ON_DIE (AiF's in-chip GEMV needs on-die ECC)");
  }
  int32_t channels = a->channels(), chips = a->chips_per_channel(), mts = a->timing().channel_mts();
  RETURN_IF_ERROR(TakeDriveValue("system.aif.channels", &channels, "system.aif.drive.channels", d.channels()));
  RETURN_IF_ERROR(
      TakeDriveValue("system.aif.chips_per_channel", &chips, "system.aif.drive.chips_per_channel", d.chips_per_channel()));
  RETURN_IF_ERROR(TakeDriveValue("system.aif.timing.channel_mts", &mts, "system.aif.drive.channel_mts", d.channel_mts()));
  a->set_channels(channels);
  a->set_chips_per_channel(chips);
  if (mts > 0) a->mutable_timing()->set_channel_mts(mts);
  return absl::OkStatus();
}

void ApplyAifDrive(const v1::DriveSpec& d, controller::AifSsdConfig* c) {
  ApplyDriveToNand(d, &c->nand);
  ApplyDriveToNvme(d, &c->nvme);
  if (d.firmware_per_command_us() > 0) {
    c->firmware_per_command = sim::SimTime::FromMicroseconds(d.firmware_per_command_us());
  }
}

}  // namespace strata::systems
