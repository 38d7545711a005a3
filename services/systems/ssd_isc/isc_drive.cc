#include "services/systems/ssd_isc/isc_drive.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "services/systems/core/drive_spec.h"
#include "services/systems/core/spec_fields.h"
#include "strata/sim/status_macros.h"

namespace strata::systems {

namespace {
const std::vector<std::string>& Applicable() {
  static const std::vector<std::string> kFields = {
      "channels",  "chips_per_channel", "dies_per_chip", "planes_per_die",     "blocks_per_plane", "pages_per_block",
      "page_kib",  "cell_type",         "read_us",       "channel_mts",        "channel_width_bits", "ecc",
      "chip_die_interleave"};
  return kFields;
}
}  // namespace

std::vector<Parameter> IscDriveParameters() { return DriveParametersFor("drive", Applicable(), "ssd_isc"); }

absl::Status NormalizeIscDrive(v1::SsdIscSystem* isc) {
  if (!isc->has_drive()) return absl::OkStatus();
  v1::DriveSpec* d = isc->mutable_drive();
  RETURN_IF_ERROR(CheckDriveFor("system.ssd_isc.drive", *d, Applicable(), "ssd_isc"));
  v1::FlashArraySpec* f = isc->mutable_flash();
  if (d->chips_per_channel() == 0 && d->dies_per_chip() > 0) {
    const int32_t dies = f->dies_per_channel() > 0 ? f->dies_per_channel() : 1;
    if (dies % d->dies_per_chip() != 0) {
      return Invalid("system.ssd_isc.drive.dies_per_chip", d->dies_per_chip(),
                     absl::StrCat("a divisor of system.ssd_isc.flash.dies_per_channel (", dies,
                                  "), or set drive.chips_per_channel"));
    }
    d->set_chips_per_channel(dies / d->dies_per_chip());
  }
  const int32_t drive_dies = d->chips_per_channel() * std::max(d->dies_per_chip(), 1);
  int32_t channels = f->channels(), dies = f->dies_per_channel(), planes = f->planes_per_die();
  int32_t blocks = f->blocks_per_plane(), mts = f->timing().channel_mts();
  RETURN_IF_ERROR(TakeDriveValue("system.ssd_isc.flash.channels", &channels, "system.ssd_isc.drive.channels",
                                 d->channels()));
  RETURN_IF_ERROR(TakeDriveValue("system.ssd_isc.flash.dies_per_channel", &dies,
                                 "system.ssd_isc.drive.chips_per_channel x dies_per_chip", drive_dies));
  RETURN_IF_ERROR(TakeDriveValue("system.ssd_isc.flash.planes_per_die", &planes, "system.ssd_isc.drive.planes_per_die",
                                 d->planes_per_die()));
  RETURN_IF_ERROR(TakeDriveValue("system.ssd_isc.flash.blocks_per_plane", &blocks,
                                 "system.ssd_isc.drive.blocks_per_plane", d->blocks_per_plane()));
  RETURN_IF_ERROR(TakeDriveValue("system.ssd_isc.flash.timing.channel_mts", &mts, "system.ssd_isc.drive.channel_mts",
                                 d->channel_mts()));
  f->set_channels(channels);
  f->set_dies_per_channel(dies);
  f->set_planes_per_die(planes);
  f->set_blocks_per_plane(blocks);
  if (mts > 0) f->mutable_timing()->set_channel_mts(mts);
  return absl::OkStatus();
}

void ApplyIscDrive(const v1::DriveSpec& d, nand::NandConfig* c) { ApplyDriveToNand(d, c); }

}  // namespace strata::systems
