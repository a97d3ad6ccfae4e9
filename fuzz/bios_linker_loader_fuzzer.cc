// Fuzzes the etc/table-loader decoder and the firmware model
// (fw_cfg/formats/bios_linker_loader.h) with hostile scripts: the input is
// the script, optionally followed by bytes that size the files it names.
//
//   [u16 LE script length] [script] [file bytes...]
//
// Checks: decoding never crashes; a decoded script encodes again and decodes
// to the same commands; executing it over the files either fails or leaves
// every file at its size, every allocation aligned and disjoint, and every
// written pointer inside its destination file.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "acpi_tables/bios_linker_loader.h"
#include "acpi_tables/bios_linker_loader_testing.h"
#include "fuzz/fuzz_check.h"

namespace {

// Names the commands refer to, in order of first mention.
std::vector<std::string> NamesIn(
    const std::vector<acpi_tables::LinkerCommand>& commands) {
  std::vector<std::string> names;
  auto add = [&](const std::string& name) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  };
  for (const acpi_tables::LinkerCommand& command : commands) {
    std::visit(
        [&](const auto& c) {
          using T = std::decay_t<decltype(c)>;
          if constexpr (std::is_same_v<T, acpi_tables::LinkerAllocate> ||
                        std::is_same_v<T, acpi_tables::LinkerAddChecksum>) {
            add(c.file);
          } else {
            add(c.dest_file);
            add(c.src_file);
          }
        },
        command);
  }
  return names;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t script_size = std::min<size_t>(data[0] | data[1] << 8, size - 2);
  const absl::Span<const uint8_t> script(data + 2, script_size);
  absl::Span<const uint8_t> rest(data + 2 + script_size,
                                 size - 2 - script_size);

  absl::StatusOr<std::vector<acpi_tables::LinkerCommand>> commands =
      acpi_tables::DecodeBiosLinkerLoader(script);
  if (!commands.ok()) return 0;

  // Decoded names are non-empty, have no NUL and fit, so they encode; and
  // round-trip.
  const std::vector<std::string> names = NamesIn(*commands);
  absl::StatusOr<std::vector<uint8_t>> encoded =
      acpi_tables::EncodeBiosLinkerLoader(*commands);
  FUZZ_CHECK(encoded.ok(), "%s", encoded.status().ToString().c_str());
  absl::StatusOr<std::vector<acpi_tables::LinkerCommand>> again =
      acpi_tables::DecodeBiosLinkerLoader(*encoded);
  FUZZ_CHECK(again.ok() && *again == *commands,
             "decode(encode(commands)) differs");

  // Files for every name: sizes and bytes from the rest of the input.
  acpi_tables::LinkerFiles files;
  for (const std::string& name : names) {
    if (rest.empty()) break;  // Later names stay missing.
    const size_t file_size = std::min<size_t>(rest[0], rest.size() - 1);
    files[name].assign(rest.begin() + 1, rest.begin() + 1 + file_size);
    rest.remove_prefix(1 + file_size);
  }
  std::vector<std::pair<std::string, size_t>> sizes;
  for (const auto& [name, bytes] : files) sizes.push_back({name, bytes.size()});

  absl::StatusOr<acpi_tables::LinkerExecution> execution =
      acpi_tables::ExecuteBiosLinkerLoader(*commands, &files,
                                           acpi_tables::BumpLinkerAllocator());
  for (const auto& [name, file_size] : sizes) {
    FUZZ_CHECK(files.at(name).size() == file_size,
               "executing changed the size of \"%s\"", name.c_str());
  }
  if (!execution.ok()) return 0;

  // Allocations: aligned as asked, and disjoint.
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const acpi_tables::LinkerCommand& command : *commands) {
    const auto* c = std::get_if<acpi_tables::LinkerAllocate>(&command);
    if (c == nullptr) continue;
    const uint64_t address = execution->addresses.at(c->file);
    FUZZ_CHECK(c->align == 0 || address % c->align == 0,
               "\"%s\" at 0x%lx not aligned to %u", c->file.c_str(),
               static_cast<unsigned long>(address), c->align);
    const uint64_t end = address + files.at(c->file).size();
    for (const auto& [start, stop] : ranges) {
      FUZZ_CHECK(end <= start || address >= stop, "allocations overlap");
    }
    ranges.push_back({address, end});
  }
  for (const acpi_tables::LinkerWrittenPointer& written :
       execution->written_pointers) {
    auto dest = files.find(written.dest_file);
    FUZZ_CHECK(
        dest != files.end() &&
            uint64_t{written.dst_offset} + written.size <= dest->second.size(),
        "WRITE_POINTER outside \"%s\"", written.dest_file.c_str());
  }
  return 0;
}
