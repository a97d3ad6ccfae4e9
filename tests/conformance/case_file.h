// Conformance case files: a machine (layout, memory, user fw_cfg items) and
// the qtest lines to run on it. The syntax is documented in README.md.
//
//   # Skip two bytes of the signature by DMA, then read four.
//   layout x86_64
//   item opt/a string hello
//   write 0x1000 16 ${desc:0:0x0c:2:0}
//   outl 0x514 0x0
//   outl 0x518 0x00100000
//   read 0x1000 4
//   expect OK 0x00000000

#ifndef TESTS_CONFORMANCE_CASE_FILE_H_
#define TESTS_CONFORMANCE_CASE_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/conformance/layout.h"

namespace conformance {

// One user item: a name and its bytes, given either as a string (passed as
// `string=`) or as a file the runner writes (passed as `file=`).
struct ItemSpec {
  std::string name;
  bool is_file = false;
  // For strings, the text; for files, the source as written
  // (`empty`, `bytes:HEX`, `random:SIZE[:SEED]`, `repeat:SIZE:BYTE`).
  std::string source;
  std::vector<uint8_t> content;  // what the guest should see
};

struct Step {
  enum class Kind {
    kCommand,   // a qtest line, sent to both sides after substitution
    kExpect,    // `expect REPLY`: the previous command's reply on the
                // reference side (QEMU) must be exactly REPLY
    kCheckDir,  // `check-dir` or `check-dir dma DESC BUF`
  };
  Kind kind = Kind::kCommand;
  std::string text;  // the command, the expected reply, or check-dir's args
  int line = 0;      // 1-based line in the case file
};

struct CaseSpec {
  std::string path;  // for messages
  Layout layout = Layout::kX86_64;
  std::string memory = "256M";  // as passed to -m / --memory size=
  uint64_t memory_size = kDefaultMemorySize;
  std::vector<ItemSpec> items;
  std::vector<Step> steps;
};

// Parses a case file's text. `path` only labels error messages.
absl::StatusOr<CaseSpec> ParseCaseFile(std::string_view text,
                                       std::string_view path);

// Reads and parses a case file.
absl::StatusOr<CaseSpec> LoadCaseFile(const std::string& path);

// Renders `spec` as case-file text that ParseCaseFile reads back to the same
// machine and steps (used to save generated random cases).
std::string RenderCaseFile(const CaseSpec& spec);

// The bytes a file source stands for (see README.md).
absl::StatusOr<std::vector<uint8_t>> GenerateFileContent(
    std::string_view source);

// The deterministic generator behind `random:` sources and the random mode:
// SplitMix64, so that a seed means the same bytes everywhere.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound); bound > 0.
  uint64_t Below(uint64_t bound) { return Next() % bound; }

 private:
  uint64_t state_;
};

}  // namespace conformance

#endif  // TESTS_CONFORMANCE_CASE_FILE_H_
