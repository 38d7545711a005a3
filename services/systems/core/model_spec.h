// The model and workload parts of a job spec as the host models take them:
// the shape (catalog or custom), the weight type, and the bytes they imply.
#ifndef STRATA_SYSTEMS_CORE_MODEL_SPEC_H_
#define STRATA_SYSTEMS_CORE_MODEL_SPEC_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "services/host/model/model_catalog.h"
#include "strata/v1/job.pb.h"

namespace strata::systems {

inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// The model's shape: a catalog entry or a checked custom shape;
// INVALID_ARGUMENT names model.catalog_name or model.custom.
absl::StatusOr<host::ModelShape> ShapeOf(const v1::ModelSpec& model);
host::WeightType WeightTypeOf(v1::WeightType type);
int64_t ModelWeightBytes(const host::ModelShape& shape, host::WeightType type);
// The KV cache of the whole run (prompt and decoded tokens, every sequence).
int64_t KvCacheBytes(const host::ModelShape& shape, const v1::WorkloadSpec& workload);

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_CORE_MODEL_SPEC_H_
