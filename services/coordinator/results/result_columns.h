// What a finished job's result says, in the shapes other tools read: the
// CSV columns that `strata run --csv`, `strata watch --csv`, the sweep CSV
// and each sweep shard's row all write (one list, so they carry the same
// fields), and the progress a finished job reports.
#ifndef STRATA_COORDINATOR_RESULTS_RESULT_COLUMNS_H_
#define STRATA_COORDINATOR_RESULTS_RESULT_COLUMNS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "strata/v1/job.pb.h"
#include "strata/v1/job_service.pb.h"

namespace strata::coordinator {

// Column names and their values, in order (same length).
struct CsvColumns {
  std::vector<std::string> names;
  std::vector<std::string> values;
};

// Every scalar figure of the result. A plain I/O job (ssd_io without a
// model) has the I/O columns; an LLM job has the token and time-per-token
// columns, and its ssd_io figures after them when it ran user I/O beside.
CsvColumns ResultCsvColumns(const v1::JobResult& result);

// The header line and one row: the CSV file `run --csv` writes.
std::string ResultCsv(const v1::JobResult& result);

// The progress a job that SUCCEEDED shows: every one of its tokens decoded,
// and the result's simulated time, events and wall time. The last live
// update can lag the end (a distributed job's host reports every few
// tokens), so `strata list` would otherwise show 5/8 for a finished job.
v1::JobProgress FinalProgress(const v1::JobResult& result, uint32_t tokens_total);

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_RESULTS_RESULT_COLUMNS_H_
