#include "ftl/ftl_config.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "ftl/lazy_page_table.h"

namespace strata::controller {

std::string_view GcPolicyName(GcPolicy policy) {
  switch (policy) {
    case GcPolicy::kGreedy: return "greedy";
    case GcPolicy::kCostBenefit: return "cost_benefit";
  }
  return "unknown";
}

absl::StatusOr<GcPolicy> ParseGcPolicy(std::string_view name) {
  if (name == "greedy") return GcPolicy::kGreedy;
  if (name == "cost_benefit") return GcPolicy::kCostBenefit;
  return absl::InvalidArgumentError(
      absl::StrCat("gc_policy = '", absl::string_view(name.data(), name.size()), "'; allowed: 'greedy', 'cost_benefit'"));
}

namespace {

uint64_t LogicalPages(uint64_t physical, double op) {
  return static_cast<uint64_t>(std::floor(static_cast<double>(physical) * (1.0 - op)));
}

absl::Status InRange(absl::string_view field, uint64_t v, uint64_t lo, uint64_t hi) {
  if (v < lo || v > hi) {
    return absl::InvalidArgumentError(absl::StrCat("ftl.", field, " = ", v, "; allowed: ", lo, " to ", hi));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateFtlConfig(const FtlConfig& c) {
  for (absl::Status st : {InRange("planes", c.planes, 1, 4096),
                          InRange("bits_per_cell", c.bits_per_cell, 1, 4),
                          InRange("pages_per_block", c.pages_per_block, 1, 4096),
                          InRange("gc_free_block_threshold", c.gc_free_block_threshold, 2, 64),
                          InRange("static_wl_threshold", c.static_wl_threshold, 0, 1'000'000)}) {
    if (!st.ok()) return st;
  }
  // At least 4x the reserve, so a plane has room for data at all.
  const uint64_t min_blocks = 4 * uint64_t{ReservedBlocksPerPlane(c)};
  if (absl::Status st = InRange("blocks_per_plane", c.blocks_per_plane, min_blocks, 1u << 22); !st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(st.message(), " (at least 4 x (gc_free_block_threshold + 3))"));
  }
  if (uint64_t{c.planes} * c.blocks_per_plane >= (uint64_t{1} << 31)) {
    return absl::InvalidArgumentError(absl::StrCat("ftl.planes x ftl.blocks_per_plane = ",
                                                   uint64_t{c.planes} * c.blocks_per_plane,
                                                   "; allowed: below 2^31 blocks"));
  }
  // The L2P and P2L hold 4-byte page numbers (lazy_page_table.h).
  if (const uint64_t physical = uint64_t{c.planes} * c.blocks_per_plane * c.pages_per_block;
      physical > uint64_t{LazyPageTable::kMaxValue} + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ftl.planes x ftl.blocks_per_plane x ftl.pages_per_block = ", physical, " physical pages; allowed: at most ",
        uint64_t{LazyPageTable::kMaxValue} + 1, " (the mapping's 4-byte page numbers)"));
  }
  if (c.pages_per_block % c.bits_per_cell != 0) {
    return absl::InvalidArgumentError(absl::StrCat("ftl.pages_per_block = ", c.pages_per_block,
                                                   "; allowed: a multiple of bits_per_cell = ",
                                                   c.bits_per_cell, " (whole wordlines)"));
  }
  if (!(c.over_provisioning > 0.0 && c.over_provisioning <= 0.9)) {
    return absl::InvalidArgumentError(absl::StrCat("ftl.over_provisioning = ", c.over_provisioning,
                                                   "; allowed: greater than 0 up to 0.9 (fraction of "
                                                   "physical pages)"));
  }
  // GC needs spare blocks beyond the reserve (free pool + open frontiers), or
  // a full drive has no block with an invalid page to collect.
  const uint64_t physical = uint64_t{c.planes} * c.blocks_per_plane * c.pages_per_block;
  const uint64_t spare_pages = physical - LogicalPages(physical, c.over_provisioning);
  const uint64_t needed_blocks = uint64_t{c.planes} * (ReservedBlocksPerPlane(c) + 1);
  if (spare_pages < needed_blocks * c.pages_per_block) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ftl.over_provisioning = ", c.over_provisioning, " leaves ", spare_pages / c.pages_per_block,
        " spare blocks; allowed: at least ", needed_blocks,
        " (planes x (gc_free_block_threshold + 4): the GC reserve, three open write blocks and one to "
        "collect into)"));
  }
  if (!c.stripe_order.empty()) {
    std::vector<bool> seen(c.planes, false);
    bool permutation = c.stripe_order.size() == c.planes;
    for (uint32_t u : c.stripe_order) {
      permutation = permutation && u < c.planes && !seen[u];
      if (u < c.planes) seen[u] = true;
    }
    if (!permutation) {
      return absl::InvalidArgumentError(absl::StrCat("ftl.stripe_order has ", c.stripe_order.size(),
                                                     " entries; allowed: empty, or each unit 0..", c.planes - 1,
                                                     " exactly once"));
    }
  }
  return absl::OkStatus();
}

Geometry::Geometry(const FtlConfig& c)
    : planes_(c.planes),
      blocks_per_plane_(c.blocks_per_plane),
      pages_per_block_(c.pages_per_block),
      bits_per_cell_(c.bits_per_cell),
      logical_pages_(LogicalPages(uint64_t{c.planes} * c.blocks_per_plane * c.pages_per_block,
                                  c.over_provisioning)) {}

}  // namespace strata::controller
