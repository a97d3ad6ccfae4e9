// The ACPI tables of our x86 machine, in the form a VMM that boots Linux
// directly writes into guest RAM: each table at its guest-physical address,
// pointers resolved and checksums final; the VMM passes the RSDP's address
// in boot_params.acpi_rsdp_addr (Linux also finds it by scanning
// 0xe0000-0xfffff). For firmware, which places the tables itself,
// x86_acpi_firmware.h gives the same tables as QEMU's fw_cfg files.
//
//   ASSIGN_OR_RETURN(std::vector<AcpiGuestBlob> tables,
//                    BuildX86AcpiTables({.num_vcpus = 2}));
//   for (const AcpiGuestBlob& blob : tables) {
//     RETURN_IF_ERROR(memory.Write(GuestAddress(blob.address), blob.bytes));
//   }
//
// The machine the tables describe:
//
//  - MADT: one enabled Processor Local APIC per vCPU (UID = APIC ID = index),
//    the local APIC at 0xfee00000, PCAT_COMPAT (dual 8259s present), one I/O
//    APIC (ID 0) at 0xfec00000 with GSI base 0, and the ISA overrides
//    IRQ0 -> GSI2 (bus-conforming) and IRQ9 -> GSI9 (level, active high: the
//    SCI), as QEMU declares those two.
//  - FADT (6.3): a full (not hardware-reduced) x86 PC. HW_REDUCED_ACPI would
//    make Linux skip the legacy PIC and PIT set-up
//    (acpi_generic_reduced_hw_init); instead the FADT declares the minimum
//    the specification requires of fixed hardware:
//      SCI_INT 9; SMI_CMD 0 (no SMM: the machine is always in ACPI mode);
//      PM1a_EVT_BLK at pm_io_base (4 bytes: PM1_STS, PM1_EN) and PM1a_CNT_BLK
//      at pm_io_base + 4 (2 bytes), also as X_ System I/O addresses;
//      no PM timer, GPE blocks, RESET_REG, C2/C3 (latencies 0x0fff);
//      Flags: WBINVD | PROC_C1 | PWR_BUTTON | SLP_BUTTON (no fixed-feature
//      buttons);
//      IAPC_BOOT_ARCH: LEGACY_DEVICES | 8042 | VGA Not Present, plus
//      CMOS RTC Not Present unless `cmos_rtc`;
//      FIRMWARE_CTRL -> a FACS (it holds the Global Lock that Linux's fw_cfg
//      driver takes around every access), DSDT and X_DSDT -> the DSDT.
//    The VMM should back the PM1 ports with a small device: PM1_STS/PM1_EN
//    read back what was written (write-1-to-clear for PM1_STS), and a write
//    of SLP_EN (bit 13) with SLP_TYP (bits 10-12) = 0 to PM1a_CNT is the S5
//    request (power off) that `\_S5` announces, as on QEMU's PIIX4/ICH9.
//  - DSDT: \_SB_.COM1 (PNP0501, _UID 0, IO 0x3f8-0x3ff and IRQ 4: QEMU's
//    serial-isa.c resources, without its _STA and with _UID 0) when `com1`;
//    \_SB_.KBD_ (PNP0303, _STA 0x0F, IO 0x60 and 0x64, IRQ 1) when `i8042`;
//    \_SB_.RTC_ (PNP0B00, IO 0x70-0x77, IRQ 8) when `cmos_rtc`;
//    \_SB_.FWCF ("QEMU0002", _STA 0x0B, IO base..base+size-1, exactly QEMU's
//    fw_cfg_add_acpi_dsdt) when `fw_cfg`; and \_S5_ = Package {0, 0, 0, 0}.
//
// Direct-boot placement (defaults): the RSDP at 0xe0000, where Linux's scan
// of the BIOS area starts; the other tables from 0xe1000 (FACS, DSDT, FADT,
// MADT, XSDT, each 8-byte aligned: 0x27c bytes with one vCPU, 0xa6c with
// 255). Both lie in 0xa0000-0xfffff, which Linux never uses as
// RAM whatever the E820 map says, and which our VMM's E820 marks reserved;
// they stay clear of the GDT (0x500), the zero page (0x7000), the page tables
// (0x9000-0xbfff), the command line (0x20000-0x2ffff) and the kernel (1 MiB).

#ifndef ACPI_TABLES_X86_ACPI_H_
#define ACPI_TABLES_X86_ACPI_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace acpi_tables {

inline constexpr uint64_t kDefaultRsdpAddress = 0xe0000;
inline constexpr uint64_t kDefaultTablesAddress = 0xe1000;
inline constexpr uint16_t kDefaultPmIoBase = 0x600;  // as QEMU's ICH9
inline constexpr uint8_t kX86SciIrq = 9;
inline constexpr uint16_t kCom1IoBase = 0x3f8;
inline constexpr uint16_t kCom1IoSize = 8;
inline constexpr uint8_t kCom1Irq = 4;

// The fw_cfg device's I/O ports as the DSDT announces them. Linux's driver
// needs the range to cover the control and data ports; QEMU declares 0x0c
// bytes (0x510-0x51b) when the DMA register is there, 0x02 otherwise.
struct FwCfgPortRange {
  uint16_t base = 0x510;
  uint8_t size = 0x0c;
};

struct X86AcpiConfig {
  // 1 to 255 (xAPIC IDs 0-254; 0xff is the broadcast ID).
  uint32_t num_vcpus = 1;
  // The machine's fw_cfg device, if it has one.
  std::optional<FwCfgPortRange> fw_cfg = FwCfgPortRange{};
  // With fw_cfg: its registers on the MMIO bus at this guest-physical
  // address instead of the ports, in the ports' arrangement (selector +0,
  // data +1, DMA +4; fw_cfg/io_ports.h's AttachX86Mmio), `fw_cfg->size`
  // bytes. The DSDT's QEMU0002 node then holds a Memory32Fixed resource,
  // which Linux's x86 driver reads with those offsets; `fw_cfg->base` is
  // not used.
  std::optional<uint32_t> fw_cfg_mmio_base;
  // A 16550 UART at 0x3f8, IRQ 4.
  bool com1 = true;
  // An MC146818 CMOS RTC at 0x70, IRQ 8: clears "CMOS RTC Not Present" and
  // adds \_SB_.RTC_ (PNP0B00, as QEMU's mc146818rtc).
  bool cmos_rtc = false;
  // The i8042 keyboard controller at 0x60/0x64, IRQ 1: \_SB_.KBD_ (PNP0303,
  // as QEMU's pckbd), and no PS/2 mouse node, so that Linux leaves the
  // auxiliary port alone.
  bool i8042 = false;
  // The PM1a event (4 ports) and control (2 ports) blocks, contiguous.
  uint16_t pm_io_base = kDefaultPmIoBase;
  // Direct boot only: the RSDP's address (16-byte aligned; in
  // 0xe0000-0xfffff if the guest must find it without acpi_rsdp_addr) and
  // the other tables' (64-byte aligned for the FACS, below 4 GiB).
  uint64_t rsdp_address = kDefaultRsdpAddress;
  uint64_t tables_address = kDefaultTablesAddress;
};

// One table at its guest-physical address.
struct AcpiGuestBlob {
  std::string name;  // the signature: "RSDP", "FACS", "DSDT", "FACP", ...
  uint64_t address = 0;
  std::vector<uint8_t> bytes;
};

// RSDP, FACS, DSDT, FACP, APIC, XSDT, in that order, at the addresses the
// config gives.
absl::StatusOr<std::vector<AcpiGuestBlob>> BuildX86AcpiTables(
    const X86AcpiConfig& config);

// The DSDT alone, as BuildX86AcpiTables includes it.
absl::StatusOr<std::vector<uint8_t>> BuildX86Dsdt(const X86AcpiConfig& config);

}  // namespace acpi_tables

#endif  // ACPI_TABLES_X86_ACPI_H_
