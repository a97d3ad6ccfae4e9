// Debian's abseil has its own absl::string_view (not std::string_view): the
// conversions at the boundary, in one place for the conformance runner.

#ifndef TESTS_CONFORMANCE_VIEWS_H_
#define TESTS_CONFORMANCE_VIEWS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace conformance {

inline absl::string_view AbslView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

inline std::string_view StdView(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

}  // namespace conformance

#endif  // TESTS_CONFORMANCE_VIEWS_H_
