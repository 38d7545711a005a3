// strata reproduce: the seed papers' headline results beside ours.
//
// Each experiment builds ordinary job specs (the same systems `strata run`
// simulates, with their documented defaults; no per-model factor), runs
// them, and reduces the results to the papers' figures: per-model tokens/s,
// the headline ratios (arithmetic means of per-model ratios, as AiF
// reports them), AiF's internal-bandwidth scaling with its ceiling, and a
// sensitivity (tornado) table per headline ratio. Tables become text, CSV
// and, through gnuplot when it is installed, PNG and SVG plots.
//
// What each experiment assumes, and where we differ from the papers, is in
// docs/reproduction.md.
//
// Files: experiments.{h,cc} (systems, models, ratios and sensitivity knobs
// of each paper), reproduce.cc (running the grids, the sensitivity study,
// the reductions to tables), render.cc (text, CSV, gnuplot).
#ifndef STRATA_COORDINATOR_REPRODUCE_REPRODUCE_H_
#define STRATA_COORDINATOR_REPRODUCE_REPRODUCE_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "strata/v1/job.pb.h"

namespace strata::coordinator {

struct ReproduceOptions {
  // CI size: two small models, a few tokens, fewer scaling points and no
  // sensitivity sweep. The invariants (orderings, monotonic scaling,
  // ceiling) still hold; the published numbers are not expected.
  bool quick = false;
  v1::Fidelity fidelity = v1::STREAM;
  uint64_t seed = 1;
  int parallel = 2;  // jobs simulated at once
  std::function<void(const std::string&)> log;  // progress lines; may be empty
};

// A result table: formatted cells, one row per item.
struct Table {
  std::string name;   // file stem, e.g. "aif_models"
  std::string title;  // one line shown above the table
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

// A plot: a gnuplot script body (without terminal and output) over the
// CSV of table `data` (read as "<data>.csv").
struct Figure {
  std::string name;
  std::string data;
  std::string gnuplot;
};

// One headline claim: ours against the published value.
struct Headline {
  std::string claim;
  double ours = 0;       // NaN when a system it needs could not run
  double published = 0;  // NaN when the paper gives none (a parameter shown, not simulated)
  std::string note;      // how ours is computed, or why it is missing
};

struct Report {
  std::string paper;  // "aif" or "nvllm"
  std::vector<Headline> headlines;
  // tokens/s by model and system label ("aif", "aif--", "in-memory", ...);
  // a system that could not run is absent.
  std::map<std::string, std::map<std::string, double>> tokens_per_second;
  std::vector<std::string> models;   // in the paper's order
  std::vector<std::string> systems;  // in table order
  // AiF scaling: per model, tokens/s at each internal-bandwidth scale, and
  // the ceiling as internal bandwidth goes to infinity.
  std::map<std::string, std::map<int, double>> scaling;
  std::map<std::string, double> ceiling;
  std::vector<Table> tables;
  std::vector<Figure> figures;
};

absl::StatusOr<Report> ReproduceAif(const ReproduceOptions& options);
absl::StatusOr<Report> ReproduceNvllm(const ReproduceOptions& options);

// The tables as aligned text (what `strata reproduce` prints).
std::string FormatReport(const Report& report);

// Writes every table as <dir>/<name>.csv, the text as <dir>/<paper>.txt,
// each figure's script as <dir>/<name>.gp and, when gnuplot is on the PATH,
// <dir>/<name>.png and .svg. *plots says whether the images were made.
absl::Status WriteReport(const Report& report, const std::string& dir, bool* plots);

// Multiplies the numeric JobSpec field at dotted `path` (double or int32;
// an int is rounded, at least 1) by `factor`. Errors name the path.
absl::Status ScaleField(v1::JobSpec* job, const std::string& path, double factor);

}  // namespace strata::coordinator

#endif  // STRATA_COORDINATOR_REPRODUCE_REPRODUCE_H_
