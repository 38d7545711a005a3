#include "services/systems/gpu_out_of_core/weight_staging.h"

#include <algorithm>

namespace strata::systems {

double StagedWeightBytesPerSecond(const WeightStaging& s) {
  if (s.ssd_bytes_per_s <= 0) return std::min(s.host_dram_bytes_per_s, s.link_bytes_per_s);
  const double hops = std::min(s.ssd_bytes_per_s, s.link_bytes_per_s);
  if (s.gpudirect_storage) return hops;
  // Four DRAM passes per byte: DMA in, memcpy read, memcpy write, DMA out.
  const double dram = s.host_dram_bytes_per_s / 4;
  // Each worker runs its tensor's two hops back to back.
  const double workers = s.copy_threads / (1 / s.ssd_bytes_per_s + 1 / s.link_bytes_per_s);
  return std::min({hops, dram, workers});
}

}  // namespace strata::systems
