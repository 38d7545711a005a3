// What the SSD models of system.ssd_offload allocate for a job, from its
// normalised spec alone (nothing is built): the admission estimate's terms
// beyond the NAND array (docs/admission.md). Each per-entry size comes from
// the component that holds the table (PageFtl::TableBytes,
// BlockFtl::TableBytes, PageCache::ResidentChunkBytes / ShadowChunkBytes,
// SsdWorkload::BytesPerCommand), so the estimate follows their layout.
#ifndef STRATA_SYSTEMS_SSD_OFFLOAD_SSD_MEMORY_H_
#define STRATA_SYSTEMS_SSD_OFFLOAD_SSD_MEMORY_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

struct SsdModelMemory {
  // The FTL's tables over the blocks it manages (the weights file and any
  // ssd_io span, with spare and GC reserve: SsdOffloadDriveFor,
  // PlainIoSsdConfig).
  double ftl_bytes = 0;
  uint64_t ftl_physical_pages = 0;
  // The page cache's chunk entries (at most its capacity or the file) and
  // the shadow entries of the chunks it evicted (at most the rest of the
  // file): LLM jobs only.
  double page_cache_bytes = 0;
  // The I/O workload's per-command records (ssd_io with `commands` set; a
  // duration-bound workload's count is not known before it runs: 0).
  double io_record_bytes = 0;
  double total() const { return ftl_bytes + page_cache_bytes + io_record_bytes; }
};

// All zero for a job on another system.
absl::StatusOr<SsdModelMemory> EstimateSsdModelMemory(const v1::JobSpec& normalized);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_SSD_OFFLOAD_SSD_MEMORY_H_
