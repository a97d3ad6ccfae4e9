// Checks the generated tables with ACPICA's tools (Debian's acpica-tools):
// every table must disassemble with `iasl -d` without an error or a warning
// and compile back to the same bytes, iasl must build the same RSDP, and
// acpiexec (ACPICA's table loader and interpreter, as in Linux) must load the
// tables cleanly and evaluate the devices. Without the tools the tests fail
// and say how to install them.
//
// The tables and iasl's output are kept in TEST_UNDECLARED_OUTPUTS_DIR
// (bazel-testlogs/acpi_tables/iasl_test/test.outputs/) for inspection.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "acpi_tables/x86_acpi.h"
#include "base/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acpi_tables {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

using Bytes = std::vector<uint8_t>;

// `tool` on PATH, or in the directories Debian installs ACPICA's tools to.
std::string FindTool(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::vector<std::string> dirs =
      absl::StrSplit(path == nullptr ? "" : path, ':', absl::SkipEmpty());
  dirs.push_back("/usr/bin");
  dirs.push_back("/usr/local/bin");
  for (const std::string& dir : dirs) {
    const std::string candidate = dir + "/" + tool;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

struct RunResult {
  int exit_code = -1;  // 128 + N: killed by signal N; -1: not run
  std::string output;  // stdout and stderr together
};

// Runs `argv` (argv[0] a path) in `dir`; ACPICA's tools take minutes at
// most.
RunResult RunProgram(const std::string& dir,
                     const std::vector<std::string>& argv) {
  absl::StatusOr<base::RunOutput> run = base::RunProgram(
      argv, absl::Minutes(5), {.stderr_to_stdout = true, .working_dir = dir});
  if (!run.ok()) {
    ADD_FAILURE() << argv[0] << ": " << run.status();
    return RunResult{};
  }
  return RunResult{run->status.shell_code(), std::move(run->out)};
}

void WriteFile(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Bytes ReadBytes(const std::string& path) {
  const std::string text = ReadText(path);
  return Bytes(text.begin(), text.end());
}

// Lines of iasl's output or disassembly that report a problem. iasl's own
// summary line ("N Errors, N Warnings, ...") counts only when N > 0.
std::vector<std::string> Problems(absl::string_view text) {
  std::vector<std::string> problems;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const std::string lower = absl::AsciiStrToLower(line);
    if (absl::StrContains(lower, "0 errors, 0 warnings")) continue;
    for (const char* word : {"error", "warning", "incorrect", "invalid",
                             "unknown", "****", "abort", "could not"}) {
      if (absl::StrContains(lower, word)) {
        problems.emplace_back(line);
        break;
      }
    }
  }
  return problems;
}

// The table with the bytes that differ between our tables and iasl's
// recompilation of their disassembly zeroed: the checksum and the creator ID
// and revision (iasl writes "INTL" and its version).
Bytes MaskCompilerFields(Bytes table) {
  if (table.size() >= 36) {
    table[9] = 0;
    std::fill(table.begin() + 28, table.begin() + 36, 0);
  }
  return table;
}

uint8_t Sum(const Bytes& bytes) {
  uint8_t sum = 0;
  for (const uint8_t b : bytes) sum = static_cast<uint8_t>(sum + b);
  return sum;
}

constexpr char kInstallHint[] =
    "install ACPICA's tools with: apt-get install acpica-tools "
    "(tools/bazel installs them on Debian)";

class IaslTest : public ::testing::Test {
 protected:
  void SetUp() override {
    iasl_ = FindTool("iasl");
    ASSERT_FALSE(iasl_.empty())
        << "iasl was not found on PATH or in /usr/bin; " << kInstallHint;
    const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = outputs != nullptr ? outputs
           : tmp != nullptr   ? tmp
                              : ::testing::TempDir();
    dir_ +=
        "/" +
        std::string(
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(mkdir(dir_.c_str(), 0755) == 0 || errno == EEXIST)
        << dir_ << ": " << std::strerror(errno);
  }

  // Writes `bytes` as <base>.dat, disassembles it and returns the .dsl text.
  std::string Disassemble(const std::string& base, const Bytes& bytes) {
    WriteFile(dir_ + "/" + base + ".dat", bytes);
    const RunResult run = RunProgram(dir_, {iasl_, "-d", base + ".dat"});
    EXPECT_EQ(run.exit_code, 0) << "iasl -d " << base << ".dat:\n"
                                << run.output;
    EXPECT_THAT(Problems(run.output), IsEmpty())
        << "iasl -d " << base << ".dat:\n"
        << run.output;
    const std::string dsl = ReadText(dir_ + "/" + base + ".dsl");
    EXPECT_THAT(Problems(dsl), IsEmpty()) << base << ".dsl:\n" << dsl;
    return dsl;
  }

  // Compiles `source` (ASL or a data table) with optimizations off and
  // returns the binary.
  Bytes Compile(const std::string& source, const std::string& output) {
    const RunResult run =
        RunProgram(dir_, {iasl_, "-oa", "-p", output, source});
    EXPECT_EQ(run.exit_code, 0) << "iasl " << source << ":\n" << run.output;
    EXPECT_THAT(Problems(run.output), IsEmpty()) << "iasl " << source << ":\n"
                                                 << run.output;
    return ReadBytes(dir_ + "/" + output + ".aml");
  }

  std::string iasl_;
  std::string dir_;
};

TEST_F(IaslTest, EveryTableDisassemblesCleanlyAndRecompilesToItsBytes) {
  absl::StatusOr<std::vector<AcpiGuestBlob>> tables =
      BuildX86AcpiTables({.num_vcpus = 2, .cmos_rtc = true, .i8042 = true});
  ASSERT_TRUE(tables.ok()) << tables.status();
  ASSERT_EQ(tables->size(), 6u);
  for (const AcpiGuestBlob& blob : *tables) {
    // iasl 20200925 cannot read an RSDP (see the next test).
    if (blob.name == "RSDP") continue;
    SCOPED_TRACE(blob.name);
    const std::string base = absl::AsciiStrToLower(blob.name);
    const std::string dsl = Disassemble(base, blob.bytes);
    if (blob.name == "DSDT") {
      EXPECT_THAT(dsl, HasSubstr("Device (FWCF)"));
      EXPECT_THAT(dsl, HasSubstr("Name (_HID, \"QEMU0002\")"));
      EXPECT_THAT(dsl, HasSubstr("Name (_HID, EisaId (\"PNP0501\")"));
      EXPECT_THAT(dsl, HasSubstr("0x0510,"));  // fw_cfg ports
      EXPECT_THAT(dsl, HasSubstr("0x0C,"));    // 0x510-0x51b
      EXPECT_THAT(dsl, HasSubstr("0x03F8,"));  // COM1
      EXPECT_THAT(dsl, HasSubstr("IRQNoFlags ()"));
      EXPECT_THAT(dsl, HasSubstr("{4}"));
    }
    const Bytes recompiled = Compile(base + ".dsl", "recompiled_" + base);
    if (blob.name == "FACS") {
      EXPECT_EQ(recompiled, blob.bytes);  // no header, no checksum
      continue;
    }
    EXPECT_EQ(Sum(recompiled), 0) << "iasl's checksum";
    EXPECT_EQ(MaskCompilerFields(recompiled), MaskCompilerFields(blob.bytes));
  }
}

// iasl 20200925 does not disassemble an RSDP ("does not contain a valid ACPI
// table"), but its data-table compiler builds one and computes both
// checksums: it must produce our bytes exactly.
TEST_F(IaslTest, RsdpMatchesIaslsDataTableCompiler) {
  absl::StatusOr<std::vector<AcpiGuestBlob>> tables = BuildX86AcpiTables({});
  ASSERT_TRUE(tables.ok()) << tables.status();
  const AcpiGuestBlob& rsdp = tables->front();
  const AcpiGuestBlob& xsdt = tables->back();
  ASSERT_EQ(rsdp.name, "RSDP");
  ASSERT_EQ(xsdt.name, "XSDT");
  char xsdt_address[17];
  std::snprintf(xsdt_address, sizeof(xsdt_address), "%016llX",
                static_cast<unsigned long long>(xsdt.address));
  const std::string source = std::string(
                                 "[0008]  Signature : \"RSD PTR \"\n"
                                 "[0001]  Checksum : 00\n"
                                 "[0006]  Oem ID : \"FWCVMM\"\n"
                                 "[0001]  Revision : 02\n"
                                 "[0004]  RSDT Address : 00000000\n"
                                 "[0004]  Length : 00000024\n"
                                 "[0008]  XSDT Address : ") +
                             xsdt_address +
                             "\n"
                             "[0001]  Extended Checksum : 00\n"
                             "[0003]  Reserved : 000000\n";
  WriteFile(dir_ + "/rsdp.asl", Bytes(source.begin(), source.end()));
  EXPECT_EQ(Compile("rsdp.asl", "rsdp"), rsdp.bytes);
}

// ACPICA's acpiexec runs the table manager and AML interpreter that Linux
// uses: loading our FADT, FACS, DSDT and MADT must raise no firmware error
// or warning, and the devices must evaluate as the guest driver expects.
TEST_F(IaslTest, AcpicaLoadsTheTablesAndEvaluatesTheDevices) {
  const std::string acpiexec = FindTool("acpiexec");
  ASSERT_FALSE(acpiexec.empty())
      << "acpiexec was not found on PATH or in /usr/bin; " << kInstallHint;
  // The tables of the VMM's x86 machine.
  absl::StatusOr<std::vector<AcpiGuestBlob>> tables =
      BuildX86AcpiTables({.cmos_rtc = true, .i8042 = true});
  ASSERT_TRUE(tables.ok()) << tables.status();
  std::vector<std::string> argv = {
      acpiexec, "-b",
      "Evaluate \\_SB.FWCF._HID; Evaluate \\_SB.FWCF._STA; "
      "Evaluate \\_SB.FWCF._CRS; Evaluate \\_SB.COM1._HID; "
      "Evaluate \\_SB.COM1._CRS; Evaluate \\_SB.KBD_._HID; "
      "Evaluate \\_SB.KBD_._CRS; Evaluate \\_SB.RTC_._HID; "
      "Evaluate \\_SB.RTC_._CRS; Evaluate \\_S5"};
  for (const AcpiGuestBlob& blob : *tables) {
    // acpiexec builds its own RSDP and XSDT around the tables it is given.
    if (blob.name == "RSDP" || blob.name == "XSDT") continue;
    const std::string file = absl::AsciiStrToLower(blob.name) + ".dat";
    WriteFile(dir_ + "/" + file, blob.bytes);
    argv.push_back(file);
  }
  const RunResult run = RunProgram(dir_, argv);
  WriteFile(dir_ + "/acpiexec.log",
            Bytes(run.output.begin(), run.output.end()));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  for (absl::string_view line : absl::StrSplit(run.output, '\n')) {
    // ACPICA's own reports, as Linux would print them at boot. (acpiexec's
    // built-in hardware exercises also print "Unexpected AE_..." lines for
    // the optional blocks the FADT leaves out: PM2, GPE, PM timer.)
    for (const char* prefix : {"ACPI Error", "ACPI Warning", "ACPI Exception",
                               "Firmware Error", "Firmware Warning"}) {
      EXPECT_FALSE(absl::StrContains(line, prefix)) << line;
    }
  }
  EXPECT_THAT(run.output, HasSubstr("[String] Length 08 = \"QEMU0002\""));
  EXPECT_THAT(run.output, HasSubstr("[Integer] = 000000000000000B"));
  EXPECT_THAT(run.output,
              HasSubstr("47 01 10 05 10 05 01 0C 79 00"));  // FWCF._CRS
  EXPECT_THAT(run.output, HasSubstr("[Integer] = 000000000105D041"));
  EXPECT_THAT(run.output, HasSubstr("47 01 F8 03 F8 03 00 08 22 10 00 79 00"));
  EXPECT_THAT(run.output, HasSubstr("[Integer] = 000000000303D041"));
  // KBD_._CRS, printed over two lines.
  EXPECT_THAT(run.output,
              HasSubstr("47 01 60 00 60 00 01 01 47 01 64 00 64 00 01 01"));
  EXPECT_THAT(run.output, HasSubstr("0010: 22 02 00 79 00"));
  EXPECT_THAT(run.output, HasSubstr("[Integer] = 00000000000BD041"));
  EXPECT_THAT(run.output, HasSubstr("47 01 70 00 70 00 01 08 22 00 01 79 00"));
  EXPECT_THAT(run.output, HasSubstr("[Package] Contains 4 Elements"));
  EXPECT_THAT(run.output, Not(HasSubstr("AE_NOT_FOUND")));
}

}  // namespace
}  // namespace acpi_tables
