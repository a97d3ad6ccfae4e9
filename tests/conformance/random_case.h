// The randomized mode: from a seed, a random but valid case (user items and
// a few hundred register accesses, selections and DMA transfers) that the
// runner then plays on both sides like any case file.
//
// "Valid" means that every access QEMU and our VMM may legitimately answer
// differently is left out: no reads of the raw directory or of QEMU's own
// files or x86 arch keys, and no DMA (descriptor or data) that touches
// anything but RAM or addresses with nothing mapped. Stray writes to the
// registers carry, in the bytes that land on the selector or the DMA
// address register, a safe key or the address of a valid descriptor, so
// that however a write is split, it selects and starts only safe things.

#ifndef TESTS_CONFORMANCE_RANDOM_CASE_H_
#define TESTS_CONFORMANCE_RANDOM_CASE_H_

#include <cstdint>

#include "tests/conformance/case_file.h"
#include "tests/conformance/layout.h"

namespace conformance {

// The same seed, layout and op count give the same case everywhere.
CaseSpec GenerateRandomCase(uint64_t seed, Layout layout, int ops);

}  // namespace conformance

#endif  // TESTS_CONFORMANCE_RANDOM_CASE_H_
