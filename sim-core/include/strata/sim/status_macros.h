// RETURN_IF_ERROR and ASSIGN_OR_RETURN: the early returns of absl::Status
// code, as Abseil's own status_macros.h spells them (Debian 12's Abseil does
// not ship that header).
//
//   RETURN_IF_ERROR(sim.Connect(a, "out", b, "in", latency));
//   ASSIGN_OR_RETURN(auto array, nand::BuildNandArray(config, &sim, "nand"));
#ifndef STRATA_SIM_STATUS_MACROS_H_
#define STRATA_SIM_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define STRATA_STATUS_CONCAT_INNER_(a, b) a##b
#define STRATA_STATUS_CONCAT_(a, b) STRATA_STATUS_CONCAT_INNER_(a, b)

// Returns the status of `expr` (an absl::Status) from the enclosing function
// unless it is OK.
#define RETURN_IF_ERROR(expr)                                                   \
  do {                                                                          \
    if (::absl::Status strata_status_ = (expr); !strata_status_.ok()) {         \
      return strata_status_;                                                    \
    }                                                                           \
  } while (false)

// Evaluates `expr` (an absl::StatusOr<T>); returns its status unless OK,
// else moves its value into `lhs` (a declaration such as `auto x` or an
// existing variable).
#define ASSIGN_OR_RETURN(lhs, expr) \
  STRATA_ASSIGN_OR_RETURN_IMPL_(STRATA_STATUS_CONCAT_(strata_statusor_, __LINE__), lhs, expr)
#define STRATA_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // STRATA_SIM_STATUS_MACROS_H_
