// FTL configuration and the geometry view the FTL plans over.
//
// Hardware: the flash array as the FTL sees it — a flat list of allocation
// units ("planes": one plane of one die; a controller that stripes over dies
// x planes flattens them to die * planes_per_die + plane), each holding
// blocks of pages. Pages of a block are numbered wordline-major: page
// w * bits_per_cell + k is page type k (0 = LSB, 1 = CSB, 2 = MSB for TLC) of
// wordline w. This ordering is an assumption of the FTL, not of the NAND model;
// the NAND model maps (block, page) to its own page types.
//
// Parameters (FtlConfig; units in names; defaults and where they come from):
//   planes                   allocation units striped round-robin       (4)
//   blocks_per_plane         erase blocks per unit                      (1024)
//   pages_per_block          pages per erase block                      (384:
//                            128 wordlines x 3 TLC pages, 64-layer TLC class)
//   bits_per_cell            1 SLC, 2 MLC, 3 TLC, 4 QLC                  (3)
//   over_provisioning        spare fraction of *physical* pages; logical
//                            pages exported = floor(physical x (1 - op)). This
//                            is Desnoyers's spare factor S_f = (T - U) / T, not
//                            the vendor "7 %" of (T - U) / U.                (0.07)
//   gc_free_block_threshold  GC runs while a plane has fewer free blocks (2)
//   gc_policy                kGreedy | kCostBenefit                      (kGreedy)
//   dynamic_wear_levelling   allocate the least-worn free block; off: the
//                            block freed longest ago (FIFO)              (true)
//   static_wl_threshold      migrate a cold block when a plane's max - min
//                            erase count exceeds this; 0 = off           (0)
//   static_wl_moves_ifp      static WL may relocate pinned IFP blocks    (false)
//   stripe_order             host writes' round-robin order over units   (empty: 0..planes-1)
#ifndef STRATA_CONTROLLER_FTL_FTL_CONFIG_H_
#define STRATA_CONTROLLER_FTL_FTL_CONFIG_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace strata::controller {

enum class GcPolicy {
  kGreedy,       // fewest valid pages
  kCostBenefit,  // highest age * (1 - u) / (2u)
};
std::string_view GcPolicyName(GcPolicy policy);
absl::StatusOr<GcPolicy> ParseGcPolicy(std::string_view name);  // "greedy" | "cost_benefit"

struct FtlConfig {
  uint32_t planes = 4;
  uint32_t blocks_per_plane = 1024;
  uint32_t pages_per_block = 384;
  uint32_t bits_per_cell = 3;
  double over_provisioning = 0.07;
  uint32_t gc_free_block_threshold = 2;
  GcPolicy gc_policy = GcPolicy::kGreedy;
  bool dynamic_wear_levelling = true;
  uint32_t static_wl_threshold = 0;
  bool static_wl_moves_ifp = false;
  // The order host writes stripe over the units: stripe_order[i] is the
  // i-th unit of the round-robin; empty: 0, 1, ..., planes - 1. The
  // controller builds it from the drive's plane allocation order.
  std::vector<uint32_t> stripe_order;
};

// Blocks per plane that never hold settled user data: the GC free-block
// reserve plus one block each for the open host, GC and wear-levelling write
// frontiers. The spare space must exceed this or GC cannot make progress.
inline uint32_t ReservedBlocksPerPlane(const FtlConfig& c) { return c.gc_free_block_threshold + 3; }

// INVALID_ARGUMENT naming the field, its value and the allowed range.
absl::Status ValidateFtlConfig(const FtlConfig& config);

// Sizes derived from a (valid) config.
class Geometry {
 public:
  explicit Geometry(const FtlConfig& c);

  uint32_t planes() const { return planes_; }
  uint32_t blocks_per_plane() const { return blocks_per_plane_; }
  uint32_t pages_per_block() const { return pages_per_block_; }
  uint32_t bits_per_cell() const { return bits_per_cell_; }
  uint32_t wordlines_per_block() const { return pages_per_block_ / bits_per_cell_; }
  // IFP data uses only the LSB page of each wordline (AiF be-enc), so an IFP
  // block holds 1 / bits_per_cell of a block's pages.
  uint32_t ifp_pages_per_block() const { return wordlines_per_block(); }
  uint64_t total_blocks() const { return uint64_t{planes_} * blocks_per_plane_; }
  uint64_t physical_pages() const { return total_blocks() * pages_per_block_; }
  uint64_t logical_pages() const { return logical_pages_; }

  // Global block number <-> (plane, block in plane); physical page number.
  uint64_t BlockId(uint32_t plane, uint32_t block) const {
    return uint64_t{plane} * blocks_per_plane_ + block;
  }
  uint64_t Ppn(uint64_t block_id, uint32_t page) const { return block_id * pages_per_block_ + page; }

 private:
  uint32_t planes_;
  uint32_t blocks_per_plane_;
  uint32_t pages_per_block_;
  uint32_t bits_per_cell_;
  uint64_t logical_pages_;
};

}  // namespace strata::controller

#endif  // STRATA_CONTROLLER_FTL_FTL_CONFIG_H_
