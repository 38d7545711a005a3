#include "ftl/ftl_mapping.h"

namespace strata::controller {

absl::Status FillSequential(FtlMapping& ftl, uint64_t first, uint64_t count) {
  std::vector<FlashOp> ops;
  for (uint64_t lpn = first; lpn < first + count; ++lpn) {
    ops.clear();
    if (absl::Status s = ftl.Write(lpn, &ops); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status UniformWrites(FtlMapping& ftl, sim::RandomStream& random, uint64_t first, uint64_t span, uint64_t n) {
  std::vector<FlashOp> ops;
  for (uint64_t i = 0; i < n; ++i) {
    ops.clear();
    if (absl::Status s = ftl.Write(first + random.UniformInt(span), &ops); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace strata::controller
