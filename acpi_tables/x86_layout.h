// The x86 machine's ACPI tables laid out in one blob (FACS, DSDT, FADT,
// MADT, XSDT), shared by the direct-boot tables (x86_acpi.cc) and the
// firmware's fw_cfg files (x86_acpi_firmware.cc). Internal to acpi_tables.

#ifndef ACPI_TABLES_X86_LAYOUT_H_
#define ACPI_TABLES_X86_LAYOUT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "acpi_tables/x86_acpi.h"

namespace acpi_tables::x86_layout {

// A table's place in the tables blob.
struct TableSpan {
  std::string name;
  size_t offset = 0;
  size_t size = 0;
  bool has_checksum = true;  // all but the FACS
};

// The tables other than the RSDP, laid out one after the other, with every
// pointer field holding `base` plus the target's offset.
struct Layout {
  std::vector<uint8_t> blob;
  std::vector<TableSpan> tables;
  size_t facs = 0;
  size_t dsdt = 0;
  size_t fadt = 0;
  size_t madt = 0;
  size_t xsdt = 0;
};

// Rejects a machine the tables cannot describe (vCPU count, port ranges).
absl::Status ValidateMachine(const X86AcpiConfig& config);

// The tables with every pointer field holding `base` plus its target's
// offset in the blob.
absl::StatusOr<Layout> BuildLayout(const X86AcpiConfig& config, uint64_t base);

}  // namespace acpi_tables::x86_layout

#endif  // ACPI_TABLES_X86_LAYOUT_H_
