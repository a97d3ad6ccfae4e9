#include "acpi_tables/tables.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "acpi_tables/aml.h"
#include "base/byte_order.h"
#include "base/status_macros.h"

namespace acpi_tables {
namespace {

constexpr uint64_t kU32Max = std::numeric_limits<uint32_t>::max();

constexpr char kRsdpSignature[] = "RSD PTR ";
constexpr uint8_t kRsdpRevision = 2;
constexpr uint8_t kXsdtRevision = 1;
constexpr uint8_t kDsdtRevision = 2;
constexpr uint8_t kMadtRevision = 5;
constexpr uint8_t kFacsVersion = 2;

// Generic Address Structure (ACPI 6.3, 5.2.3.2): 12 bytes.
constexpr size_t kGasSize = 12;
constexpr uint8_t kGasSystemIo = 1;
// FADT P_LVL2_LAT > 100 and P_LVL3_LAT > 1000 say "not supported".
constexpr uint16_t kNoCStateLatency = 0x0fff;
// PM1 block lengths in bytes (PM1_EVT_LEN must be >= 4, PM1_CNT_LEN >= 2).
constexpr uint8_t kPm1EventLength = 4;
constexpr uint8_t kPm1ControlLength = 2;

// MADT structure types and lengths.
constexpr uint8_t kMadtLocalApic = 0;
constexpr uint8_t kMadtLocalApicLength = 8;
constexpr uint8_t kMadtIoApic = 1;
constexpr uint8_t kMadtIoApicLength = 12;
constexpr uint8_t kMadtInterruptOverride = 2;
constexpr uint8_t kMadtInterruptOverrideLength = 10;
constexpr uint32_t kMadtLocalApicEnabled = 1u << 0;

bool IsPrintable(absl::string_view text) {
  for (const char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

void AppendText(std::vector<uint8_t>& out, absl::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}

void AppendGas(Sdt& sdt, uint8_t space_id, uint8_t bit_width,
               uint64_t address) {
  sdt.AppendU8(space_id);
  sdt.AppendU8(bit_width);
  sdt.AppendU8(0);  // Register Bit Offset
  sdt.AppendU8(0);  // Access Size: undefined (legacy), as QEMU writes it
  sdt.AppendLe64(address);
}

// An I/O port GAS, or an all-zero one (not present) for port 0.
void AppendIoGas(Sdt& sdt, uint16_t port, uint8_t length) {
  if (port == 0) {
    sdt.AppendZeros(kGasSize);
  } else {
    AppendGas(sdt, kGasSystemIo, static_cast<uint8_t>(length * 8), port);
  }
}

}  // namespace

uint8_t ChecksumByte(absl::Span<const uint8_t> bytes) {
  uint8_t sum = 0;
  for (const uint8_t b : bytes) sum = static_cast<uint8_t>(sum + b);
  return static_cast<uint8_t>(0x100 - sum);
}

// --- Sdt
// ----------------------------------------------------------------------

absl::StatusOr<Sdt> Sdt::Create(absl::string_view signature, uint8_t revision,
                                absl::string_view oem_table_id) {
  if (signature.size() != 4 || !IsPrintable(signature)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("table signature \"%s\" is not 4 printable characters",
                        absl::CHexEscape(signature)));
  }
  if (oem_table_id.size() > 8 || !IsPrintable(oem_table_id)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "OEM table ID \"%s\" is not at most 8 printable characters",
        absl::CHexEscape(oem_table_id)));
  }
  static_assert(sizeof(kOemId) - 1 == 6 && sizeof(kCreatorId) - 1 == 4);
  Sdt sdt;
  std::vector<uint8_t>& b = sdt.bytes_;
  AppendText(b, signature);
  b.insert(b.end(), 4, 0);  // Length, set by Finish
  b.push_back(revision);
  b.push_back(0);  // Checksum, set by Finish
  AppendText(b, kOemId);
  AppendText(b, oem_table_id);
  b.insert(b.end(), 8 - oem_table_id.size(), ' ');
  sdt.AppendLe32(kOemRevision);
  AppendText(b, kCreatorId);
  sdt.AppendLe32(kCreatorRevision);
  return sdt;
}

void Sdt::Append(absl::Span<const uint8_t> bytes) {
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

void Sdt::AppendU8(uint8_t value) { bytes_.push_back(value); }

void Sdt::AppendLe16(uint16_t value) {
  uint8_t field[2];
  base::StoreLe16(field, value);
  Append(field);
}

void Sdt::AppendLe32(uint32_t value) {
  uint8_t field[4];
  base::StoreLe32(field, value);
  Append(field);
}

void Sdt::AppendLe64(uint64_t value) {
  uint8_t field[8];
  base::StoreLe64(field, value);
  Append(field);
}

void Sdt::AppendZeros(size_t count) { bytes_.insert(bytes_.end(), count, 0); }

absl::StatusOr<std::vector<uint8_t>> Sdt::Finish() && {
  if (bytes_.size() > kU32Max) {
    return absl::OutOfRangeError(absl::StrFormat(
        "table %s is %u bytes; its length field has 32 bits",
        absl::string_view(reinterpret_cast<const char*>(bytes_.data()), 4),
        bytes_.size()));
  }
  base::StoreLe32(bytes_.data() + kSdtLengthOffset,
                  static_cast<uint32_t>(bytes_.size()));
  bytes_[kSdtChecksumOffset] = 0;
  bytes_[kSdtChecksumOffset] = ChecksumByte(bytes_);
  return std::move(bytes_);
}

// --- RSDP, XSDT, FACS, DSDT
// -----------------------------------------------------

std::vector<uint8_t> BuildRsdp(uint64_t xsdt_address) {
  std::vector<uint8_t> rsdp(kRsdpSize, 0);
  std::memcpy(rsdp.data(), kRsdpSignature, 8);
  std::memcpy(rsdp.data() + 9, kOemId, 6);
  rsdp[15] = kRsdpRevision;
  base::StoreLe32(rsdp.data() + kRsdpRsdtAddressOffset, 0);
  base::StoreLe32(rsdp.data() + 20, static_cast<uint32_t>(kRsdpSize));
  base::StoreLe64(rsdp.data() + kRsdpXsdtAddressOffset, xsdt_address);
  // The extended checksum covers the first one: compute that first.
  rsdp[kRsdpChecksumOffset] =
      ChecksumByte(absl::MakeConstSpan(rsdp.data(), kRsdpChecksumLength));
  rsdp[kRsdpExtendedChecksumOffset] = ChecksumByte(rsdp);
  return rsdp;
}

absl::StatusOr<std::vector<uint8_t>> BuildXsdt(
    absl::Span<const uint64_t> table_addresses) {
  ASSIGN_OR_RETURN(Sdt xsdt, Sdt::Create("XSDT", kXsdtRevision, "FWCVXSDT"));
  for (const uint64_t address : table_addresses) xsdt.AppendLe64(address);
  return std::move(xsdt).Finish();
}

std::vector<uint8_t> BuildFacs() {
  // 0 "FACS"  4 Length  8 Hardware Signature  12 Firmware Waking Vector
  // 16 Global Lock  20 Flags  24 X Firmware Waking Vector  32 Version
  // 33 Reserved[3]  36 OSPM Flags  40 Reserved[24]
  std::vector<uint8_t> facs(kFacsSize, 0);
  std::memcpy(facs.data(), "FACS", 4);
  base::StoreLe32(facs.data() + 4, static_cast<uint32_t>(kFacsSize));
  facs[32] = kFacsVersion;
  return facs;
}

absl::StatusOr<std::vector<uint8_t>> BuildDsdt(const AmlObject& body) {
  ASSIGN_OR_RETURN(const std::vector<uint8_t> aml, EncodeAml(body));
  ASSIGN_OR_RETURN(Sdt dsdt, Sdt::Create("DSDT", kDsdtRevision, "FWCVDSDT"));
  dsdt.Append(aml);
  return std::move(dsdt).Finish();
}

// --- FADT
// -------------------------------------------------------------------------

absl::StatusOr<std::vector<uint8_t>> BuildFadt(const FadtConfig& config) {
  if (config.facs_address > kU32Max) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "FADT: FACS at 0x%x is above 4 GiB (FIRMWARE_CTRL has 32 bits)",
        config.facs_address));
  }
  if (config.dsdt_address > kU32Max) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "FADT: DSDT at 0x%x is above 4 GiB (the DSDT field has 32 bits)",
        config.dsdt_address));
  }
  const bool hw_reduced = (config.flags & kFadtHwReducedAcpi) != 0;
  if (!hw_reduced &&
      (config.pm1a_event_block == 0 || config.pm1a_control_block == 0)) {
    return absl::InvalidArgumentError(
        "FADT: without HW_REDUCED_ACPI the PM1a event and control blocks are "
        "required");
  }

  ASSIGN_OR_RETURN(Sdt fadt, Sdt::Create("FACP", kFadtRevision, "FWCVFACP"));
  fadt.AppendLe32(static_cast<uint32_t>(config.facs_address));  // 36
  fadt.AppendLe32(static_cast<uint32_t>(config.dsdt_address));  // 40
  fadt.AppendU8(0);  // 44 Reserved (ACPI 1.0's INT_MODEL)
  fadt.AppendU8(config.preferred_pm_profile);  // 45
  fadt.AppendLe16(config.sci_interrupt);       // 46
  fadt.AppendLe32(0);  // 48 SMI_CMD: none, so always in ACPI mode
  fadt.AppendU8(0);    // 52 ACPI_ENABLE
  fadt.AppendU8(0);    // 53 ACPI_DISABLE
  fadt.AppendU8(0);    // 54 S4BIOS_REQ
  fadt.AppendU8(0);    // 55 PSTATE_CNT
  fadt.AppendLe32(config.pm1a_event_block);    // 56 PM1a_EVT_BLK
  fadt.AppendLe32(0);                          // 60 PM1b_EVT_BLK
  fadt.AppendLe32(config.pm1a_control_block);  // 64 PM1a_CNT_BLK
  fadt.AppendLe32(0);                          // 68 PM1b_CNT_BLK
  fadt.AppendLe32(0);                          // 72 PM2_CNT_BLK
  fadt.AppendLe32(0);                          // 76 PM_TMR_BLK: none
  fadt.AppendLe32(0);                          // 80 GPE0_BLK
  fadt.AppendLe32(0);                          // 84 GPE1_BLK
  fadt.AppendU8(config.pm1a_event_block != 0 ? kPm1EventLength : 0);      // 88
  fadt.AppendU8(config.pm1a_control_block != 0 ? kPm1ControlLength : 0);  // 89
  fadt.AppendU8(0);                        // 90 PM2_CNT_LEN
  fadt.AppendU8(0);                        // 91 PM_TMR_LEN
  fadt.AppendU8(0);                        // 92 GPE0_BLK_LEN
  fadt.AppendU8(0);                        // 93 GPE1_BLK_LEN
  fadt.AppendU8(0);                        // 94 GPE1_BASE
  fadt.AppendU8(0);                        // 95 CST_CNT
  fadt.AppendLe16(kNoCStateLatency);       // 96 P_LVL2_LAT
  fadt.AppendLe16(kNoCStateLatency);       // 98 P_LVL3_LAT
  fadt.AppendLe16(0);                      // 100 FLUSH_SIZE
  fadt.AppendLe16(0);                      // 102 FLUSH_STRIDE
  fadt.AppendU8(0);                        // 104 DUTY_OFFSET
  fadt.AppendU8(0);                        // 105 DUTY_WIDTH
  fadt.AppendU8(0);                        // 106 DAY_ALRM
  fadt.AppendU8(0);                        // 107 MON_ALRM
  fadt.AppendU8(0);                        // 108 CENTURY
  fadt.AppendLe16(config.iapc_boot_arch);  // 109 IAPC_BOOT_ARCH
  fadt.AppendU8(0);                        // 111 Reserved
  fadt.AppendLe32(config.flags);           // 112 Flags
  fadt.AppendZeros(kGasSize);              // 116 RESET_REG
  fadt.AppendU8(0);                        // 128 RESET_VALUE
  fadt.AppendLe16(0);                      // 129 ARM_BOOT_ARCH
  fadt.AppendU8(kFadtMinorVersion);        // 131 FADT Minor Version
  fadt.AppendLe64(0);                      // 132 X_FIRMWARE_CTRL
  fadt.AppendLe64(config.dsdt_address);    // 140 X_DSDT
  AppendIoGas(fadt, config.pm1a_event_block, kPm1EventLength);  // 148
  fadt.AppendZeros(kGasSize);  // 160 X_PM1b_EVT_BLK
  AppendIoGas(fadt, config.pm1a_control_block, kPm1ControlLength);  // 172
  // 184 X_PM1b_CNT_BLK, X_PM2_CNT_BLK, X_PM_TMR_BLK, X_GPE0_BLK,
  // X_GPE1_BLK, SLEEP_CONTROL_REG, SLEEP_STATUS_REG: none.
  fadt.AppendZeros(7 * kGasSize);
  fadt.AppendLe64(0);  // 268 Hypervisor Vendor Identity
  if (fadt.size() != kFadtSize) {
    return absl::InternalError(
        absl::StrFormat("FADT is %u bytes, not %u", fadt.size(), kFadtSize));
  }
  return std::move(fadt).Finish();
}

// --- MADT
// -------------------------------------------------------------------------

absl::StatusOr<std::vector<uint8_t>> BuildMadt(const MadtConfig& config) {
  if (config.local_apics.empty()) {
    return absl::InvalidArgumentError("MADT: no Processor Local APIC");
  }
  std::array<bool, 256> uid_seen = {};
  std::array<bool, 256> apic_id_seen = {};
  for (const MadtLocalApic& lapic : config.local_apics) {
    if (std::exchange(uid_seen[lapic.processor_uid], true)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "MADT: processor UID %u appears twice", lapic.processor_uid));
    }
    if (lapic.apic_id == 0xff) {
      return absl::InvalidArgumentError(
          "MADT: APIC ID 0xff is the broadcast ID");
    }
    if (std::exchange(apic_id_seen[lapic.apic_id], true)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("MADT: APIC ID %u appears twice", lapic.apic_id));
    }
  }
  for (const MadtInterruptOverride& o : config.overrides) {
    const uint16_t polarity = o.flags & 0x3;
    const uint16_t trigger = (o.flags >> 2) & 0x3;
    if (o.source > 15 || o.flags > 0xf || polarity == 2 || trigger == 2) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "MADT: bad Interrupt Source Override IRQ %u flags 0x%x", o.source,
          o.flags));
    }
  }

  ASSIGN_OR_RETURN(Sdt madt, Sdt::Create("APIC", kMadtRevision, "FWCVAPIC"));
  madt.AppendLe32(config.local_apic_address);
  madt.AppendLe32(config.flags);
  for (const MadtLocalApic& lapic : config.local_apics) {
    madt.AppendU8(kMadtLocalApic);
    madt.AppendU8(kMadtLocalApicLength);
    madt.AppendU8(lapic.processor_uid);
    madt.AppendU8(lapic.apic_id);
    madt.AppendLe32(lapic.enabled ? kMadtLocalApicEnabled : 0);
  }
  for (const MadtIoApic& ioapic : config.io_apics) {
    madt.AppendU8(kMadtIoApic);
    madt.AppendU8(kMadtIoApicLength);
    madt.AppendU8(ioapic.id);
    madt.AppendU8(0);  // Reserved
    madt.AppendLe32(ioapic.address);
    madt.AppendLe32(ioapic.gsi_base);
  }
  for (const MadtInterruptOverride& o : config.overrides) {
    madt.AppendU8(kMadtInterruptOverride);
    madt.AppendU8(kMadtInterruptOverrideLength);
    madt.AppendU8(0);  // Bus: ISA
    madt.AppendU8(o.source);
    madt.AppendLe32(o.gsi);
    madt.AppendLe16(o.flags);
  }
  return std::move(madt).Finish();
}

}  // namespace acpi_tables
