// Sweeps spread over many processes (a Kubernetes Indexed Job, or a shell
// loop): shard I of N runs grid points I, I+N, I+2N, ... and writes each
// point's results to its own folder as soon as the point ends, so a shard
// that dies keeps what it finished and its rerun resumes; --merge gathers
// the folders into the sweep CSV.
//
//   DIR/sweep.textproto            the sweep (every shard writes the same)
//   DIR/point-000042/spec.textproto  the point's JobSpec
//   DIR/point-000042/result.json     its strata.v1.JobResult (succeeded only)
//   DIR/point-000042/row.csv         header + its sweep CSV row (sweep_table.h)
#ifndef STRATA_COORDINATOR_SWEEP_SWEEP_SHARD_H_
#define STRATA_COORDINATOR_SWEEP_SWEEP_SHARD_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "sweep/sweep.h"
#include "sweep/sweep_table.h"

namespace strata::coordinator {

struct Shard {
  int index = 0;
  int count = 1;
  bool Owns(size_t point) const { return point % static_cast<size_t>(count) == static_cast<size_t>(index); }
};

// "I/N" (0 <= I < N, 1 <= N <= 100000), or "N" alone with I taken from
// `completion_index` (the JOB_COMPLETION_INDEX a Kubernetes Indexed Job
// gives each pod; null when unset).
absl::StatusOr<Shard> ParseShard(std::string_view text, const char* completion_index);

std::string PointDir(const std::string& dir, size_t index);

// True when the point's folder holds a result for exactly this point's job
// (a failed point, or a folder left by another spec, is run again).
bool PointDone(const std::string& dir, size_t index, const SweepPoint& point);

struct ShardReport {
  size_t points = 0;   // in the whole grid
  size_t owned = 0;    // this shard's
  size_t skipped = 0;  // already done by an earlier run
  size_t failed = 0;
};

// Runs the shard's points not yet done, `parallel` at a time, writing each
// point's folder as it ends. Refuses a DIR that holds another sweep.
// `log` (may be empty) hears one line per point.
absl::StatusOr<ShardReport> RunSweepShard(const v1::SweepSpec& sweep, const std::vector<SweepPoint>& points,
                                          Shard shard, const std::string& dir, int parallel,
                                          std::function<void(const std::string&)> log = {});

struct MergedSweep {
  std::vector<SweepRow> rows;   // in grid order, the points found
  std::vector<size_t> missing;  // grid points with no row yet
  size_t points = 0;
};

// Gathers every point's row.csv under DIR (the grid from DIR/sweep.textproto).
absl::StatusOr<MergedSweep> MergeSweepResults(const std::string& dir);

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_SWEEP_SWEEP_SHARD_H_
