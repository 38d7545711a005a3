// Page types and page coding: which read levels each page of a wordline
// needs, and how a page address maps to its wordline and page type.
//
// Pages of a block are numbered wordline-major: page p of a block is page
// type p % bits_per_cell of wordline p / bits_per_cell (0 = LSB, 1 = CSB,
// 2 = MSB for TLC; the controller FTL uses the same order).
//
// Read levels per page type (a Gray code over 2^bits - 1 boundaries):
//   SLC (1); MLC (1,2); QLC (4,4,4,3) — a balanced Gray code (assumption);
//   TLC default (2,3,2) and be-enc (1,3,3) — AiF ISCA'25, sec. 4.3.
// be-enc is chosen per block when the block is programmed; only TLC has one.
#ifndef STRATA_NAND_FLASH_PAGE_CODING_H_
#define STRATA_NAND_FLASH_PAGE_CODING_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "flash/nand_config.h"

namespace strata::nand {

enum class BlockCoding : uint8_t {
  kDefault = 0,           // TLC (2,3,2), or the only coding of SLC/MLC/QLC
  kBiasErrorEncoding = 1  // TLC (1,3,3): AiF's be-enc
};
std::string_view BlockCodingName(BlockCoding coding);

// Page type index within a wordline: 0 = LSB, 1 = CSB, 2 = MSB, 3 = TSB.
std::string_view PageTypeName(uint32_t bits_per_cell, uint32_t page_type);

// Read levels of `page_type` on a cell of `bits_per_cell` with `coding`.
// INVALID_ARGUMENT for a page type >= bits_per_cell or be-enc on non-TLC.
absl::StatusOr<uint32_t> ReadLevels(uint32_t bits_per_cell, BlockCoding coding, uint32_t page_type);

// Array read time of one page (file comment of nand_config.h).
SimTime ArrayReadTime(const NandTiming& timing, uint32_t levels, bool cr_read);
// Array read time of a page of `page_type`: timing.read_by_page_type when
// set and the read is a default-coded one without cr-read, else the phase
// model (ArrayReadTime). ReadLevels' errors for a bad page type or coding.
absl::StatusOr<SimTime> PageReadTime(const NandTiming& timing, uint32_t bits_per_cell, BlockCoding coding,
                                     uint32_t page_type, bool cr_read);
// Program time of a page of `page_type`: timing.program_by_page_type when
// set, else timing.program.
SimTime PageProgramTime(const NandTiming& timing, uint32_t page_type);

// A page as the controller addresses it.
struct PageAddress {
  uint32_t channel = 0;
  uint32_t die = 0;    // within the channel
  uint32_t plane = 0;
  uint32_t block = 0;  // within the plane
  uint32_t page = 0;   // within the block
  bool operator==(const PageAddress&) const = default;
};

struct WordlinePage {
  uint32_t wordline = 0;
  uint32_t page_type = 0;
};
inline WordlinePage ToWordlinePage(const NandGeometry& g, uint32_t page) {
  return {page / g.bits_per_cell, page % g.bits_per_cell};
}
inline uint32_t ToPage(const NandGeometry& g, WordlinePage wp) {
  return wp.wordline * g.bits_per_cell + wp.page_type;
}

// Flat page number, channel-major then die, plane, block, page, and back.
// INVALID_ARGUMENT names the out-of-range field.
absl::StatusOr<uint64_t> FlatPageIndex(const NandGeometry& g, const PageAddress& a);
absl::StatusOr<PageAddress> FromFlatPageIndex(const NandGeometry& g, uint64_t index);
uint64_t TotalPages(const NandGeometry& g);

}  // namespace strata::nand

#endif  // STRATA_NAND_FLASH_PAGE_CODING_H_
