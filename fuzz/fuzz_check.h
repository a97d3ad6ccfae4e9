// FUZZ_CHECK: the invariant check of the fuzz targets. Unlike assert() it
// stays on whatever NDEBUG says, and it aborts with a message, which libFuzzer
// reports as a crash and saves the input for.

#ifndef FUZZ_FUZZ_CHECK_H_
#define FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, ...)                                        \
  do {                                                                    \
    if (!(condition)) {                                                   \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n  ", __FILE__, \
                   __LINE__, #condition);                                 \
      std::fprintf(stderr, __VA_ARGS__);                                  \
      std::fprintf(stderr, "\n");                                         \
      std::abort();                                                       \
    }                                                                     \
  } while (0)

#endif  // FUZZ_FUZZ_CHECK_H_
