// strata reproduce's rendering: a Report as aligned text, CSV tables and
// gnuplot scripts (and PNG/SVG plots when gnuplot is installed).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "reproduce/reproduce.h"
#include "strata/common/csv.h"

namespace strata::coordinator {

std::string FormatReport(const Report& report) {
  std::string out;
  for (const Table& t : report.tables) {
    std::vector<size_t> width(t.columns.size(), 0);
    for (size_t c = 0; c < t.columns.size(); ++c) width[c] = t.columns[c].size();
    for (const auto& row : t.rows) {
      for (size_t c = 0; c < row.size() && c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
    }
    absl::StrAppend(&out, "\n", t.name, ": ", t.title, "\n");
    auto line = [&](const std::vector<std::string>& cells) {
      std::string l = " ";
      for (size_t c = 0; c < cells.size() && c < width.size(); ++c) {
        absl::StrAppend(&l, " ", cells[c], std::string(width[c] - cells[c].size(), ' '));
      }
      while (!l.empty() && l.back() == ' ') l.pop_back();
      absl::StrAppend(&out, l, "\n");
    };
    line(t.columns);
    for (const auto& row : t.rows) line(row);
  }
  return out;
}

absl::Status WriteReport(const Report& report, const std::string& dir, bool* plots) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--out: cannot create '", dir, "': ", ec.message()));
  auto write = [&](const std::string& name, const std::string& text) -> absl::Status {
    std::ofstream f(std::filesystem::path(dir) / name);
    f << text;
    if (!f) return absl::InvalidArgumentError(absl::StrCat("--out: cannot write '", dir, "/", name, "'"));
    return absl::OkStatus();
  };
  // Cells hold no commas (gnuplot's CSV reader does not unquote, and the
  // plots read these files); CsvLine quotes any other character RFC 4180
  // asks it to.
  auto cell = [](const std::string& s) { return absl::StrReplaceAll(s, {{",", ";"}}); };
  for (const Table& t : report.tables) {
    std::vector<std::string> header;
    for (const std::string& c : t.columns) header.push_back(cell(c));
    std::string csv = CsvLine(header);
    for (const auto& row : t.rows) {
      std::vector<std::string> cells;
      for (const std::string& c : row) cells.push_back(c == "n/a" ? "NaN" : cell(c));
      csv += CsvLine(cells);
    }
    if (absl::Status s = write(t.name + ".csv", csv); !s.ok()) return s;
  }
  if (absl::Status s = write(report.paper + ".txt", FormatReport(report)); !s.ok()) return s;
  *plots = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  for (const Figure& f : report.figures) {
    const std::string script = absl::StrCat(
        "# ", f.name, ": plots ", f.data, ".csv. Run in this folder: gnuplot ", f.name, ".gp\n",
        "set terminal pngcairo size 1000,600 noenhanced\nset output '", f.name, ".png'\n", f.gnuplot,
        "set terminal svg size 1000,600 noenhanced\nset output '", f.name, ".svg'\nreplot\n");
    if (absl::Status s = write(f.name + ".gp", script); !s.ok()) return s;
    if (*plots) {
      const std::string cmd = absl::StrCat("cd '", dir, "' && gnuplot '", f.name, ".gp' 2>'", f.name, ".gnuplot.log'");
      if (std::system(cmd.c_str()) != 0) {
        return absl::InternalError(absl::StrCat("gnuplot failed on ", dir, "/", f.name, ".gp; see ", dir, "/",
                                                f.name, ".gnuplot.log"));
      }
      std::filesystem::remove(std::filesystem::path(dir) / (f.name + ".gnuplot.log"), ec);
    }
  }
  return absl::OkStatus();
}

}  // namespace strata::coordinator
