#include "sweep/sweep_shard.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "services/coordinator/job/job_runner.h"

namespace strata::coordinator {
namespace {

namespace fs = std::filesystem;

std::string TextOf(const google::protobuf::Message& m) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(m, &text);
  return text;
}

bool ReadFile(const fs::path& path, std::string* text) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream s;
  s << in.rdbuf();
  *text = s.str();
  return true;
}

// Written beside, then renamed into place: a reader (or a rerun after a
// kill) sees the whole file or none.
absl::Status WriteFileAtomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = absl::StrCat(path.string(), ".tmp.", getpid());
  {
    std::ofstream out(tmp);
    out << text;
    if (!out.flush()) return absl::InvalidArgumentError(absl::StrCat("cannot write '", tmp.string(), "'"));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("cannot rename to '", path.string(), "': ", ec.message()));
  return absl::OkStatus();
}

absl::Status WritePoint(const std::string& dir, size_t index, const SweepPoint& point,
                        const absl::StatusOr<v1::JobResult>& result) {
  const fs::path folder = PointDir(dir, index);
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("cannot create '", folder.string(), "': ", ec.message()));
  // A failed point leaves no result.json, so PointDone runs it again.
  fs::remove(folder / "result.json", ec);
  if (absl::Status s = WriteFileAtomically(folder / "spec.textproto", TextOf(point.job)); !s.ok()) return s;
  if (result.ok()) {
    std::string json;
    google::protobuf::util::JsonPrintOptions o;
    o.add_whitespace = true;
    o.always_print_primitive_fields = true;
    o.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(*result, &json, o);
    if (absl::Status s = WriteFileAtomically(folder / "result.json", json); !s.ok()) return s;
  }
  // row.csv last: its presence with result.json marks the point done.
  return WriteFileAtomically(folder / "row.csv", SweepCsv({MakeSweepRow(point, result)}));
}

// DIR/sweep.textproto: written by the first shard, checked by the others,
// so two sweeps never mix their points in one folder.
absl::Status ClaimDir(const std::string& dir, const v1::SweepSpec& sweep) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--results_dir: cannot create '", dir, "': ", ec.message()));
  const fs::path path = fs::path(dir) / "sweep.textproto";
  const std::string text = TextOf(sweep);
  std::string existing;
  if (ReadFile(path, &existing)) {
    if (existing != text) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--results_dir = '", dir, "' holds the results of another sweep (its sweep.textproto differs); "
          "use an empty folder for this one"));
    }
    return absl::OkStatus();
  }
  return WriteFileAtomically(path, text);
}

}  // namespace

absl::StatusOr<Shard> ParseShard(std::string_view shard_text, const char* completion_index) {
  const absl::string_view text(shard_text.data(), shard_text.size());
  const auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("--shard = '", text, "'; allowed: I/N with 0 <= I < N <= 100000, "
                                                   "or N with JOB_COMPLETION_INDEX set (", why, ")"));
  };
  std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  Shard shard;
  if (parts.size() == 2) {
    if (!absl::SimpleAtoi(parts[0], &shard.index) || !absl::SimpleAtoi(parts[1], &shard.count)) {
      return invalid("not two integers");
    }
  } else if (parts.size() == 1) {
    if (!absl::SimpleAtoi(parts[0], &shard.count)) return invalid("not an integer");
    if (completion_index == nullptr) return invalid("JOB_COMPLETION_INDEX is not set");
    if (!absl::SimpleAtoi(completion_index, &shard.index)) {
      return invalid(absl::StrCat("JOB_COMPLETION_INDEX = '", completion_index, "' is not an integer"));
    }
  } else {
    return invalid("too many '/'");
  }
  if (shard.count < 1 || shard.count > 100000) return invalid("N out of range");
  if (shard.index < 0 || shard.index >= shard.count) return invalid("I out of range");
  return shard;
}

std::string PointDir(const std::string& dir, size_t index) {
  return (fs::path(dir) / absl::StrFormat("point-%06d", index)).string();
}

bool PointDone(const std::string& dir, size_t index, const SweepPoint& point) {
  const fs::path folder = PointDir(dir, index);
  std::string spec;
  return fs::exists(folder / "result.json") && fs::exists(folder / "row.csv") &&
         ReadFile(folder / "spec.textproto", &spec) && spec == TextOf(point.job);
}

absl::StatusOr<ShardReport> RunSweepShard(const v1::SweepSpec& sweep, const std::vector<SweepPoint>& points,
                                          Shard shard, const std::string& dir, int parallel,
                                          std::function<void(const std::string&)> log) {
  if (absl::Status s = ClaimDir(dir, sweep); !s.ok()) return s;
  ShardReport report;
  report.points = points.size();
  std::vector<size_t> todo;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!shard.Owns(i)) continue;
    ++report.owned;
    if (PointDone(dir, i, points[i])) {
      ++report.skipped;
    } else {
      todo.push_back(i);
    }
  }
  if (log && report.skipped > 0) {
    log(absl::StrCat("shard ", shard.index, "/", shard.count, ": ", report.skipped, " of ", report.owned,
                     " points already done, skipped"));
  }
  std::atomic<size_t> next{0};
  std::mutex mu;  // guards report, first_error and log
  absl::Status first_error;
  std::vector<std::thread> workers;
  for (int w = 0; w < std::max(parallel, 1); ++w) {
    workers.emplace_back([&] {
      for (size_t k; (k = next++) < todo.size();) {
        const size_t i = todo[k];
        const absl::StatusOr<v1::JobResult> result = RunJob(points[i].job);
        const absl::Status written = WritePoint(dir, i, points[i], result);
        std::lock_guard<std::mutex> lock(mu);
        if (!result.ok()) ++report.failed;
        if (!written.ok() && first_error.ok()) first_error = written;
        if (log) {
          log(absl::StrCat("grid point ", i, ": ", result.ok() ? "done" : std::string(result.status().message()),
                           " (", PointDir(dir, i), ")"));
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  if (!first_error.ok()) return first_error;
  return report;
}

absl::StatusOr<MergedSweep> MergeSweepResults(const std::string& dir) {
  std::string text;
  if (!ReadFile(fs::path(dir) / "sweep.textproto", &text)) {
    return absl::NotFoundError(absl::StrCat("--merge = '", dir, "': no sweep.textproto (not a sweep results folder)"));
  }
  v1::SweepSpec sweep;
  if (!google::protobuf::TextFormat::ParseFromString(text, &sweep)) {
    return absl::InvalidArgumentError(absl::StrCat("--merge: '", dir, "/sweep.textproto' does not parse"));
  }
  auto points = ExpandSweep(sweep);
  if (!points.ok()) return points.status();
  MergedSweep merged;
  merged.points = points->size();
  for (size_t i = 0; i < points->size(); ++i) {
    std::string row_text, spec;
    const fs::path folder = PointDir(dir, i);
    if (!ReadFile(folder / "row.csv", &row_text) || !ReadFile(folder / "spec.textproto", &spec) ||
        spec != TextOf((*points)[i].job)) {
      merged.missing.push_back(i);
      continue;
    }
    auto rows = ParseSweepCsv(row_text);
    if (!rows.ok() || rows->size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat("--merge: '", (folder / "row.csv").string(), "' is not one CSV row",
                                                     rows.ok() ? "" : absl::StrCat(": ", rows.status().message())));
    }
    merged.rows.push_back(std::move(rows->front()));
  }
  return merged;
}

}  // namespace strata::coordinator
