// CSV as RFC 4180 writes it, for every CSV file strata produces: a field
// holding a comma, a double quote or a line break is quoted, and its
// double quotes are doubled. Other fields are written as they are, so
// numbers stay plain for gnuplot and spreadsheets. Lines end in "\n"
// (RFC 4180 names CRLF; every reader we target accepts LF).
#ifndef STRATA_COMMON_CSV_H_
#define STRATA_COMMON_CSV_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace strata {

std::string CsvField(std::string_view field);
// The fields quoted as needed, joined by commas, ending in "\n".
std::string CsvLine(const std::vector<std::string>& fields);
// Splits CSV text into records of fields; the inverse of CsvLine (quoted
// fields may hold commas, quotes and line breaks). Used where strata reads
// its own CSV back (sweep --merge). A quote left open is an error.
absl::StatusOr<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text);

}  // namespace strata

#endif  // STRATA_COMMON_CSV_H_
