// Early-return helpers for absl::Status and absl::StatusOr.
//
// Debian's abseil (20220623) does not ship absl/status/status_macros.h, so the
// project keeps these two small macros of its own.
//
//   absl::StatusOr<Config> Load(const std::string& path) {
//     RETURN_IF_ERROR(CheckReadable(path));
//     ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     return Parse(text);
//   }

#ifndef BASE_STATUS_MACROS_H_
#define BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function
// if it is not OK.
#define RETURN_IF_ERROR(expr)                    \
  do {                                           \
    const ::absl::Status base_status_ = (expr);  \
    if (!base_status_.ok()) return base_status_; \
  } while (false)

#define BASE_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define BASE_STATUS_MACROS_CONCAT_(a, b) BASE_STATUS_MACROS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns the status from
// the enclosing function, otherwise moves the value into `lhs`, which may be a
// declaration (`ASSIGN_OR_RETURN(auto x, F())`) or an existing variable.
#define ASSIGN_OR_RETURN(lhs, rexpr)                                           \
  ASSIGN_OR_RETURN_IMPL_(BASE_STATUS_MACROS_CONCAT_(base_statusor_, __LINE__), \
                         lhs, rexpr)

#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                           \
  if (!statusor.ok()) return statusor.status();      \
  lhs = std::move(statusor).value()

#endif  // BASE_STATUS_MACROS_H_
