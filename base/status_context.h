// The one way the project adds context to an error: "context: message",
// keeping the status code, so that a caller several layers up still sees
// which input failed and why.
//
//   RETURN_IF_ERROR(base::WithContext(LoadKernel(path), "kernel"));
//   // NotFound: "kernel: cannot open /boot/vmlinuz: No such file or directory"

#ifndef BASE_STATUS_CONTEXT_H_
#define BASE_STATUS_CONTEXT_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace base {

// `status` with `context` and ": " before its message; OK stays OK.
inline absl::Status WithContext(const absl::Status& status,
                                absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(context, ": ", status.message()));
}

// The same for a StatusOr; a value passes through untouched.
template <typename T>
absl::StatusOr<T> WithContext(absl::StatusOr<T> value,
                              absl::string_view context) {
  if (value.ok()) return value;
  return WithContext(value.status(), context);
}

}  // namespace base

#endif  // BASE_STATUS_CONTEXT_H_
