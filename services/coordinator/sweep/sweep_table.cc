#include "sweep/sweep_table.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "strata/common/csv.h"

namespace strata::coordinator {

namespace {
constexpr char kErrorColumn[] = "error";
}  // namespace

SweepRow MakeSweepRow(const SweepPoint& point, const absl::StatusOr<v1::JobResult>& result) {
  SweepRow row;
  for (const auto& [field, value] : point.coordinates) {
    row.names.push_back(field);
    row.values.push_back(value);
  }
  if (result.ok()) {
    CsvColumns columns = ResultCsvColumns(*result);
    row.names.insert(row.names.end(), columns.names.begin(), columns.names.end());
    row.values.insert(row.values.end(), columns.values.begin(), columns.values.end());
  }
  row.names.push_back(kErrorColumn);
  row.values.push_back(result.ok() ? "" : std::string(result.status().message()));
  return row;
}

std::string SweepCsv(const std::vector<SweepRow>& rows) {
  std::vector<std::string> header;
  absl::flat_hash_map<std::string, size_t> column_of;
  for (const SweepRow& row : rows) {
    for (const std::string& name : row.names) {
      if (name != kErrorColumn && column_of.emplace(name, header.size()).second) header.push_back(name);
    }
  }
  column_of[kErrorColumn] = header.size();
  header.push_back(kErrorColumn);
  std::string csv = CsvLine(header);
  for (const SweepRow& row : rows) {
    std::vector<std::string> cells(header.size());
    for (size_t i = 0; i < row.names.size() && i < row.values.size(); ++i) cells[column_of[row.names[i]]] = row.values[i];
    csv += CsvLine(cells);
  }
  return csv;
}

absl::StatusOr<std::vector<SweepRow>> ParseSweepCsv(const std::string& text) {
  auto records = ParseCsv(text);
  if (!records.ok()) return records.status();
  if (records->empty()) return absl::InvalidArgumentError("CSV: no header");
  std::vector<SweepRow> rows;
  const std::vector<std::string>& header = records->front();
  for (size_t r = 1; r < records->size(); ++r) {
    const auto& values = (*records)[r];
    if (values.size() != header.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("CSV: row ", r, " has ", values.size(), " fields; the header has ", header.size()));
    }
    rows.push_back({header, values});
  }
  return rows;
}

}  // namespace strata::coordinator
