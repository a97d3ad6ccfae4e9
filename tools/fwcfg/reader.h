// FwCfgReader: read-only access to a fw_cfg device, whatever the transport
// (qtest against a VMM or QEMU, or Linux's sysfs inside a guest).
//
//   // From qtest_reader.h or sysfs_reader.h:
//   std::unique_ptr<FwCfgReader> reader = ...;
//   ASSIGN_OR_RETURN(std::vector<FileEntry> files, reader->ListFiles());
//   ASSIGN_OR_RETURN(FileEntry e820, FindFile(*reader, "etc/e820"));
//   ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
//                    ReadItemBytes(*reader, e820.key, e820.size));

#ifndef TOOLS_FWCFG_READER_H_
#define TOOLS_FWCFG_READER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tools/fwcfg/directory.h"

namespace fwcfg {

// Receives an item's bytes in order, one chunk at a time; an error stops
// the read and is returned by ReadItem.
using ByteSink = std::function<absl::Status(absl::Span<const uint8_t>)>;

class FwCfgReader {
 public:
  virtual ~FwCfgReader() = default;

  // The file directory (key 0x19), sorted by key.
  virtual absl::StatusOr<std::vector<FileEntry>> ListFiles() = 0;

  // Streams the first `size` bytes of item `key` to `sink`. Over qtest,
  // bytes past the item's end read as zero (as a guest sees them); over
  // sysfs, reading past the end is an error.
  virtual absl::Status ReadItem(uint16_t key, uint64_t size,
                                const ByteSink& sink) = 0;

  // The transport, for messages ("qtest x86 ports, DMA", "sysfs /sys/...").
  virtual std::string Describe() const = 0;
};

// Reads an item into memory.
absl::StatusOr<std::vector<uint8_t>> ReadItemBytes(FwCfgReader& reader,
                                                   uint16_t key, uint64_t size);

// Reads the file directory (key 0x19) through `reader`'s ReadItem: the
// count, then all entries; sorted by key. For readers that reach the device
// registers themselves.
absl::StatusOr<std::vector<FileEntry>> ReadDirectory(FwCfgReader& reader);

// The directory entry named `name`; NotFoundError if there is none.
absl::StatusOr<FileEntry> FindFile(FwCfgReader& reader, std::string_view name);

}  // namespace fwcfg

#endif  // TOOLS_FWCFG_READER_H_
