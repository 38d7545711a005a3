// Live progress of a running job, as the runner reports it and the
// metrics export it.
#ifndef STRATA_SYSTEMS_JOB_JOB_PROGRESS_H_
#define STRATA_SYSTEMS_JOB_JOB_PROGRESS_H_

#include <cstdint>

#include "strata/sim/engine.h"

namespace strata::systems {

struct JobProgress {
  sim::ProgressSnapshot kernel;
  uint32_t tokens_done = 0;
  uint32_t tokens_total = 0;
};

}  // namespace strata::systems

#endif  // STRATA_SYSTEMS_JOB_JOB_PROGRESS_H_
