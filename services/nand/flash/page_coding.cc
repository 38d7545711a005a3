#include "flash/page_coding.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace strata::nand {

std::string_view BlockCodingName(BlockCoding coding) {
  return coding == BlockCoding::kBiasErrorEncoding ? "be-enc" : "default";
}

std::string_view PageTypeName(uint32_t bits_per_cell, uint32_t page_type) {
  if (bits_per_cell == 1) return "SLC";
  if (bits_per_cell == 2) return page_type == 0 ? "LSB" : "MSB";
  switch (page_type) {
    case 0: return "LSB";
    case 1: return "CSB";
    case 2: return bits_per_cell == 3 ? "MSB" : "MSB";
    case 3: return "TSB";
  }
  return "?";
}

absl::StatusOr<uint32_t> ReadLevels(uint32_t bits_per_cell, BlockCoding coding, uint32_t page_type) {
  if (bits_per_cell < 1 || bits_per_cell > 4) {
    return absl::InvalidArgumentError(absl::StrCat("bits_per_cell = ", bits_per_cell, "; allowed: 1 to 4"));
  }
  if (page_type >= bits_per_cell) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_type = ", page_type, "; allowed: 0 to ", bits_per_cell - 1));
  }
  if (coding == BlockCoding::kBiasErrorEncoding && bits_per_cell != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("coding = be-enc with bits_per_cell = ", bits_per_cell, "; allowed: be-enc only on TLC (3)"));
  }
  static constexpr uint32_t kSlc[] = {1};
  static constexpr uint32_t kMlc[] = {1, 2};
  static constexpr uint32_t kTlc[] = {2, 3, 2};
  static constexpr uint32_t kTlcBeEnc[] = {1, 3, 3};
  static constexpr uint32_t kQlc[] = {4, 4, 4, 3};
  switch (bits_per_cell) {
    case 1: return kSlc[page_type];
    case 2: return kMlc[page_type];
    case 3: return coding == BlockCoding::kBiasErrorEncoding ? kTlcBeEnc[page_type] : kTlc[page_type];
    default: return kQlc[page_type];
  }
}

SimTime ArrayReadTime(const NandTiming& t, uint32_t levels, bool cr_read) {
  const SimTime evaluate = t.sense_per_level * levels;
  return cr_read ? t.recycle + evaluate : t.precharge + evaluate + t.discharge;
}

absl::StatusOr<SimTime> PageReadTime(const NandTiming& t, uint32_t bits_per_cell, BlockCoding coding,
                                     uint32_t page_type, bool cr_read) {
  const absl::StatusOr<uint32_t> levels = ReadLevels(bits_per_cell, coding, page_type);
  if (!levels.ok()) return levels.status();
  if (coding == BlockCoding::kDefault && !cr_read && t.read_by_page_type[page_type] > SimTime::Zero()) {
    return t.read_by_page_type[page_type];
  }
  return ArrayReadTime(t, *levels, cr_read);
}

SimTime PageProgramTime(const NandTiming& t, uint32_t page_type) {
  const SimTime datasheet = page_type < t.program_by_page_type.size() ? t.program_by_page_type[page_type] : SimTime::Zero();
  return datasheet > SimTime::Zero() ? datasheet : t.program;
}

uint64_t TotalPages(const NandGeometry& g) {
  return uint64_t{g.channels} * g.dies_per_channel * g.planes_per_die * g.blocks_per_plane * g.pages_per_block();
}

absl::StatusOr<uint64_t> FlatPageIndex(const NandGeometry& g, const PageAddress& a) {
  auto check = [](absl::string_view field, uint32_t v, uint32_t limit) -> absl::Status {
    if (v >= limit) {
      return absl::InvalidArgumentError(absl::StrCat("address.", field, " = ", v, "; allowed: 0 to ", limit - 1));
    }
    return absl::OkStatus();
  };
  for (absl::Status s : {check("channel", a.channel, g.channels), check("die", a.die, g.dies_per_channel),
                         check("plane", a.plane, g.planes_per_die), check("block", a.block, g.blocks_per_plane),
                         check("page", a.page, g.pages_per_block())}) {
    if (!s.ok()) return s;
  }
  uint64_t i = a.channel;
  i = i * g.dies_per_channel + a.die;
  i = i * g.planes_per_die + a.plane;
  i = i * g.blocks_per_plane + a.block;
  i = i * g.pages_per_block() + a.page;
  return i;
}

absl::StatusOr<PageAddress> FromFlatPageIndex(const NandGeometry& g, uint64_t index) {
  if (index >= TotalPages(g)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page index = ", index, "; allowed: 0 to ", TotalPages(g) - 1));
  }
  PageAddress a;
  a.page = static_cast<uint32_t>(index % g.pages_per_block());
  index /= g.pages_per_block();
  a.block = static_cast<uint32_t>(index % g.blocks_per_plane);
  index /= g.blocks_per_plane;
  a.plane = static_cast<uint32_t>(index % g.planes_per_die);
  index /= g.planes_per_die;
  a.die = static_cast<uint32_t>(index % g.dies_per_channel);
  a.channel = static_cast<uint32_t>(index / g.dies_per_channel);
  return a;
}

}  // namespace strata::nand
