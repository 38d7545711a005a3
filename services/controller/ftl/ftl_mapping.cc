#include "ftl/ftl_mapping.h"

namespace strata::controller {

namespace {
bool Cancelled(const std::atomic<bool>* cancel, uint64_t i) {
  return i % kCancelCheckWrites == 0 && cancel != nullptr && cancel->load(std::memory_order_relaxed);
}
}  // namespace

absl::Status FillSequential(FtlMapping& ftl, uint64_t first, uint64_t count, const std::atomic<bool>* cancel) {
  std::vector<FlashOp> ops;
  for (uint64_t lpn = first; lpn < first + count; ++lpn) {
    if (Cancelled(cancel, lpn - first)) return absl::CancelledError("cancelled while preconditioning the drive");
    ops.clear();
    if (absl::Status s = ftl.Write(lpn, &ops); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status UniformWrites(FtlMapping& ftl, sim::RandomStream& random, uint64_t first, uint64_t span, uint64_t n,
                           const std::atomic<bool>* cancel) {
  std::vector<FlashOp> ops;
  for (uint64_t i = 0; i < n; ++i) {
    if (Cancelled(cancel, i)) return absl::CancelledError("cancelled while ageing the drive (random_prewrites)");
    ops.clear();
    if (absl::Status s = ftl.Write(first + random.UniformInt(span), &ops); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace strata::controller
