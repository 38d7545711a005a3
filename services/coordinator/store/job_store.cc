#include "store/job_store.h"

#include <sqlite3.h>

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace strata::coordinator {
namespace {

absl::Status SqlError(sqlite3* db, std::string_view what) {
  return absl::InternalError(absl::StrCat("job store: ", absl::string_view(what.data(), what.size()), ": ",
                                          sqlite3_errmsg(db)));
}

// Finalises a prepared statement when it goes out of scope.
struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};

}  // namespace

absl::StatusOr<std::unique_ptr<JobStore>> JobStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    absl::Status s = absl::UnavailableError(absl::StrCat("cannot open job store '", path, "': ", sqlite3_errmsg(db)));
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<JobStore> store(new JobStore(db));
  // WAL keeps readers and the writer apart; FULL sync makes a submitted job
  // survive a crash right after SubmitJob returns.
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                          "CREATE TABLE IF NOT EXISTS jobs ("
                          "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                          "  id TEXT NOT NULL UNIQUE,"
                          "  request_id TEXT,"
                          "  state INTEGER NOT NULL,"
                          "  job BLOB NOT NULL,"
                          "  owner TEXT NOT NULL DEFAULT '')",
                          "DROP INDEX IF EXISTS jobs_request"}) {
    if (absl::Status s = store->Exec(sql); !s.ok()) return s;
  }
  if (absl::Status s = store->AddOwnerColumnIfMissing(); !s.ok()) return s;
  // A caller lists its own jobs, newest first.
  if (absl::Status s = store->Exec("CREATE INDEX IF NOT EXISTS jobs_owner ON jobs(owner, seq)"); !s.ok()) return s;
  // One job per owner and request id (NULLs, jobs without one, are
  // distinct in SQL); request ids are scoped by owner since jobs have
  // owners, so the older index on request_id alone goes. A database from
  // before this index may already hold duplicates: it still opens, and
  // InsertUnlessRequested's transaction keeps new submissions unique; the
  // warning says how to clean it up.
  if (absl::Status s = store->Exec("DROP INDEX IF EXISTS jobs_request_unique"); !s.ok()) return s;
  if (absl::Status s =
          store->Exec("CREATE UNIQUE INDEX IF NOT EXISTS jobs_owner_request_unique ON jobs(owner, request_id)");
      !s.ok()) {
    std::fprintf(stderr,
                 "warning: job store '%s' holds jobs that share a request id, so request ids are not indexed "
                 "as unique (%s)\n",
                 path.c_str(), std::string(s.message()).c_str());
  }
  return store;
}

JobStore::~JobStore() { sqlite3_close(db_); }

absl::Status JobStore::AddOwnerColumnIfMissing() {
  Statement probe;
  if (sqlite3_prepare_v2(db_, "SELECT owner FROM jobs LIMIT 0", -1, &probe.stmt, nullptr) == SQLITE_OK) {
    return absl::OkStatus();
  }
  // Jobs stored before owners existed belong to nobody: with
  // authentication on, only admins see them.
  return Exec("ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT ''");
}

absl::Status JobStore::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    absl::Status s = absl::InternalError(absl::StrCat("job store: ", error ? error : "?", " in: ", sql));
    sqlite3_free(error);
    return s;
  }
  return absl::OkStatus();
}

absl::Status JobStore::Put(const v1::Job& job) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string blob = job.SerializeAsString();
  Statement st;
  // Upsert that keeps the row (and so its seq, the listing order).
  const char* sql =
      "INSERT INTO jobs (id, request_id, state, job, owner) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(id) DO UPDATE SET state = excluded.state, job = excluded.job";
  if (sqlite3_prepare_v2(db_, sql, -1, &st.stmt, nullptr) != SQLITE_OK) return SqlError(db_, "prepare put");
  sqlite3_bind_text(st.stmt, 1, job.id().c_str(), -1, SQLITE_TRANSIENT);
  if (job.request_id().empty()) {
    sqlite3_bind_null(st.stmt, 2);
  } else {
    sqlite3_bind_text(st.stmt, 2, job.request_id().c_str(), -1, SQLITE_TRANSIENT);
  }
  sqlite3_bind_int(st.stmt, 3, job.state());
  sqlite3_bind_blob(st.stmt, 4, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(st.stmt, 5, job.owner().c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st.stmt) != SQLITE_DONE) return SqlError(db_, "put");
  return absl::OkStatus();
}

namespace {
absl::StatusOr<std::vector<v1::Job>> Collect(sqlite3* db, sqlite3_stmt* stmt, int64_t* last_seq) {
  std::vector<v1::Job> jobs;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    v1::Job job;
    const void* blob = sqlite3_column_blob(stmt, 1);
    if (!job.ParseFromArray(blob, sqlite3_column_bytes(stmt, 1))) {
      return absl::DataLossError("job store: a stored job does not parse");
    }
    if (last_seq != nullptr) *last_seq = sqlite3_column_int64(stmt, 0);
    jobs.push_back(std::move(job));
  }
  if (rc != SQLITE_DONE) return SqlError(db, "read");
  return jobs;
}
}  // namespace

absl::StatusOr<v1::Job> JobStore::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  Statement st;
  if (sqlite3_prepare_v2(db_, "SELECT seq, job FROM jobs WHERE id = ?1", -1, &st.stmt, nullptr) != SQLITE_OK) {
    return SqlError(db_, "prepare get");
  }
  sqlite3_bind_text(st.stmt, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  auto jobs = Collect(db_, st.stmt, nullptr);
  if (!jobs.ok()) return jobs.status();
  if (jobs->empty()) return absl::NotFoundError(absl::StrCat("job '", id, "' does not exist"));
  return std::move(jobs->front());
}

absl::StatusOr<std::optional<v1::Job>> JobStore::FindByRequestId(const std::string& owner,
                                                                 const std::string& request_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return FindByRequestIdLocked(owner, request_id);
}

absl::StatusOr<std::optional<v1::Job>> JobStore::InsertUnlessRequested(const v1::Job& job) {
  std::lock_guard<std::mutex> lock(mu_);
  // IMMEDIATE takes the write lock now: another process cannot insert the
  // same request id between our look-up and our insert.
  if (absl::Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  struct Rollback {
    JobStore* store;
    bool armed = true;
    ~Rollback() {
      if (armed) (void)store->Exec("ROLLBACK");
    }
  } rollback{this};
  if (!job.request_id().empty()) {
    auto existing = FindByRequestIdLocked(job.owner(), job.request_id());
    if (!existing.ok() || existing->has_value()) return existing;  // the rollback ends the transaction
  }
  Statement st;
  const char* sql = "INSERT INTO jobs (id, request_id, state, job, owner) VALUES (?1, ?2, ?3, ?4, ?5)";
  if (sqlite3_prepare_v2(db_, sql, -1, &st.stmt, nullptr) != SQLITE_OK) return SqlError(db_, "prepare insert");
  const std::string blob = job.SerializeAsString();
  sqlite3_bind_text(st.stmt, 1, job.id().c_str(), -1, SQLITE_TRANSIENT);
  if (job.request_id().empty()) {
    sqlite3_bind_null(st.stmt, 2);
  } else {
    sqlite3_bind_text(st.stmt, 2, job.request_id().c_str(), -1, SQLITE_TRANSIENT);
  }
  sqlite3_bind_int(st.stmt, 3, job.state());
  sqlite3_bind_blob(st.stmt, 4, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(st.stmt, 5, job.owner().c_str(), -1, SQLITE_TRANSIENT);
  const int rc = sqlite3_step(st.stmt);
  if (rc == SQLITE_CONSTRAINT) {
    return absl::AlreadyExistsError(absl::StrCat("job store: job id '", job.id(), "' is already taken"));
  }
  if (rc != SQLITE_DONE) return SqlError(db_, "insert");
  if (absl::Status s = Exec("COMMIT"); !s.ok()) return s;
  rollback.armed = false;
  return std::optional<v1::Job>();
}

absl::StatusOr<std::optional<v1::Job>> JobStore::FindByRequestIdLocked(const std::string& owner,
                                                                       const std::string& request_id) {
  Statement st;
  if (sqlite3_prepare_v2(db_, "SELECT seq, job FROM jobs WHERE owner = ?1 AND request_id = ?2 LIMIT 1", -1,
                         &st.stmt, nullptr) != SQLITE_OK) {
    return SqlError(db_, "prepare find");
  }
  sqlite3_bind_text(st.stmt, 1, owner.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st.stmt, 2, request_id.c_str(), -1, SQLITE_TRANSIENT);
  auto jobs = Collect(db_, st.stmt, nullptr);
  if (!jobs.ok()) return jobs.status();
  if (jobs->empty()) return std::optional<v1::Job>();
  return std::optional<v1::Job>(std::move(jobs->front()));
}

absl::StatusOr<std::vector<v1::Job>> JobStore::List(v1::JobState state, int limit, int64_t before, int64_t* next,
                                                    const std::optional<std::string>& owner) {
  std::lock_guard<std::mutex> lock(mu_);
  Statement st;
  const char* sql =
      "SELECT seq, job FROM jobs WHERE (?1 = 0 OR state = ?1) AND (?2 = 0 OR seq < ?2) "
      "AND (?4 IS NULL OR owner = ?4) ORDER BY seq DESC LIMIT ?3";
  if (sqlite3_prepare_v2(db_, sql, -1, &st.stmt, nullptr) != SQLITE_OK) return SqlError(db_, "prepare list");
  sqlite3_bind_int(st.stmt, 1, state);
  sqlite3_bind_int64(st.stmt, 2, before);
  sqlite3_bind_int(st.stmt, 3, limit + 1);  // one more tells whether a next page exists
  if (owner.has_value()) {
    sqlite3_bind_text(st.stmt, 4, owner->c_str(), -1, SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(st.stmt, 4);
  }
  int64_t last = 0;
  auto jobs = Collect(db_, st.stmt, &last);
  if (!jobs.ok()) return jobs;
  *next = 0;
  if (static_cast<int>(jobs->size()) > limit) {
    jobs->pop_back();
    // The cursor is the seq of the last job on this page: re-read it.
    Statement seq;
    sqlite3_prepare_v2(db_, "SELECT seq FROM jobs WHERE id = ?1", -1, &seq.stmt, nullptr);
    sqlite3_bind_text(seq.stmt, 1, jobs->back().id().c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(seq.stmt) == SQLITE_ROW) *next = sqlite3_column_int64(seq.stmt, 0);
  }
  return jobs;
}

absl::StatusOr<std::vector<v1::Job>> JobStore::InState(v1::JobState state) {
  std::lock_guard<std::mutex> lock(mu_);
  Statement st;
  if (sqlite3_prepare_v2(db_, "SELECT seq, job FROM jobs WHERE state = ?1 ORDER BY seq", -1, &st.stmt, nullptr) !=
      SQLITE_OK) {
    return SqlError(db_, "prepare recover");
  }
  sqlite3_bind_int(st.stmt, 1, state);
  return Collect(db_, st.stmt, nullptr);
}

}  // namespace strata::coordinator
