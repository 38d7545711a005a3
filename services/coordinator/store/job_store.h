// JobStore: jobs and their results in SQLite, so a restarted coordinator
// still lists every job. Each job is one row: its id, owner, request id,
// state (for filtering) and the whole strata.v1.Job as serialised protobuf.
// Thread-safe.
#ifndef STRATA_COORDINATOR_STORE_JOB_STORE_H_
#define STRATA_COORDINATOR_STORE_JOB_STORE_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "strata/v1/job_service.pb.h"

struct sqlite3;

namespace strata::coordinator {

class JobStore {
 public:
  // Opens (creating if needed) the database at `path` (":memory:" for tests).
  static absl::StatusOr<std::unique_ptr<JobStore>> Open(const std::string& path);
  ~JobStore();

  // Inserts or replaces the job with job.id().
  absl::Status Put(const v1::Job& job);
  // Inserts a new job unless a job of the same owner with the same
  // (non-empty) request id exists: then returns that job and inserts
  // nothing (request ids are the owner's own: another user's cannot reach
  // or block it). The look-up and the
  // insert are one SQLite transaction, and request ids carry a UNIQUE
  // index, so two concurrent submissions of one request id (from any
  // number of threads or processes on this database) store one job.
  // ALREADY_EXISTS if job.id() is taken.
  absl::StatusOr<std::optional<v1::Job>> InsertUnlessRequested(const v1::Job& job);
  // NOT_FOUND for an unknown id.
  absl::StatusOr<v1::Job> Get(const std::string& id);
  absl::StatusOr<std::optional<v1::Job>> FindByRequestId(const std::string& owner, const std::string& request_id);
  // Newest first. `before` = 0 starts at the newest; *next is the cursor
  // for the following page (0 when there is none). `owner`: only that
  // owner's jobs; nullopt: everyone's.
  absl::StatusOr<std::vector<v1::Job>> List(v1::JobState state, int limit, int64_t before, int64_t* next,
                                            const std::optional<std::string>& owner = std::nullopt);
  // Every job in `state`, oldest first (for recovery after a restart).
  absl::StatusOr<std::vector<v1::Job>> InState(v1::JobState state);

 private:
  explicit JobStore(sqlite3* db) : db_(db) {}
  absl::Status Exec(const char* sql);
  absl::StatusOr<std::optional<v1::Job>> FindByRequestIdLocked(const std::string& owner,
                                                                const std::string& request_id);
  // Brings a database from before jobs had owners up to date.
  absl::Status AddOwnerColumnIfMissing();
  std::mutex mu_;
  sqlite3* db_;
};

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_STORE_JOB_STORE_H_
