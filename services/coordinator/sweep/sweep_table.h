// The sweep CSV: one row per grid point, its coordinates first, then every
// result column `strata run --csv` writes (results/result_columns.h), then
// the error of a point that failed. The embedded sweep, `--submit`, each
// shard's per-point row and `--merge` all write rows through here, so they
// carry the same columns.
#ifndef STRATA_COORDINATOR_SWEEP_SWEEP_TABLE_H_
#define STRATA_COORDINATOR_SWEEP_SWEEP_TABLE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "results/result_columns.h"
#include "sweep/sweep.h"

namespace strata::coordinator {

// One point's row: coordinates, result columns (none when it failed), and
// "error" last. Names and values have the same length.
using SweepRow = CsvColumns;

SweepRow MakeSweepRow(const SweepPoint& point, const absl::StatusOr<v1::JobResult>& result);

// The CSV text of rows whose columns may differ (a failed point has no
// result columns; a grid may mix LLM and plain I/O points): the header is
// every column name in first-seen order, "error" last, and each row fills
// the columns it has.
std::string SweepCsv(const std::vector<SweepRow>& rows);

// Reads back a CSV of header + rows (as SweepCsv or a point's row.csv
// writes) into rows.
absl::StatusOr<std::vector<SweepRow>> ParseSweepCsv(const std::string& text);

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_SWEEP_SWEEP_TABLE_H_
