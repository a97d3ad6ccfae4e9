#include "vmm/devices/cmos.h"

#include <algorithm>

#include "absl/time/civil_time.h"
#include "base/byte_stream.h"

namespace vmm {
namespace {

// Clock registers.
constexpr uint8_t kSeconds = 0x00;
constexpr uint8_t kMinutes = 0x02;
constexpr uint8_t kHours = 0x04;
constexpr uint8_t kWeekday = 0x06;
constexpr uint8_t kDayOfMonth = 0x07;
constexpr uint8_t kMonth = 0x08;
constexpr uint8_t kYear = 0x09;
constexpr uint8_t kCentury = 0x32;  // QEMU's RTC_CENTURY
// Status registers.
constexpr uint8_t kRegisterA = 0x0a;
constexpr uint8_t kRegisterB = 0x0b;
constexpr uint8_t kRegisterC = 0x0c;
constexpr uint8_t kRegisterD = 0x0d;

constexpr uint8_t kUpdateInProgress = 0x80;  // register A
constexpr uint8_t kDividerMask = 0x70;       // register A
constexpr uint8_t kDividerNormal = 0x20;     // 32.768 kHz, running
constexpr uint8_t kSet = 0x80;               // register B: updates stopped
constexpr uint8_t kBinary = 0x04;            // register B: not BCD
constexpr uint8_t kHour24 = 0x02;            // register B
constexpr uint8_t kPm = 0x80;                // the hour's bit in 12-hour mode
constexpr uint8_t kValidRamAndTime = 0x80;   // register D

// The chip holds UIP for 244 us (8 cycles of 32.768 kHz) before each update.
constexpr absl::Duration kUpdateHold = absl::Nanoseconds(244140);

void SetLe16(std::array<uint8_t, 128>& ram, uint8_t at, uint64_t value) {
  ram[at] = static_cast<uint8_t>(value);
  ram[at + 1] = static_cast<uint8_t>(value >> 8);
}

bool IsClockField(uint8_t index) {
  switch (index) {
    case kSeconds:
    case kMinutes:
    case kHours:
    case kWeekday:
    case kDayOfMonth:
    case kMonth:
    case kYear:
    case kCentury:
      return true;
    default:
      return false;
  }
}

}  // namespace

Cmos::Cmos(const MachineInfo& machine, std::function<absl::Time()> clock)
    : clock_(std::move(clock)) {
  base::MutexLock lock(mu_);
  ram_[kRegisterA] = kDividerNormal | 0x06;  // 1024 Hz periodic rate
  ram_[kRegisterB] = kHour24;
  ram_[kRegisterD] = kValidRamAndTime;
  // QEMU's pc_cmos_init, which SeaBIOS reads: base memory in KiB (at most
  // 640), extended memory above 1 MiB in KiB and above 16 MiB in 64 KiB
  // units (each at most 0xffff), memory above 4 GiB in 64 KiB units.
  constexpr uint64_t kMiB = 1 << 20;
  const uint64_t below = machine.ram_below_4g;
  SetLe16(ram_, 0x15, std::min<uint64_t>(below / 1024, 640));
  const uint64_t extended =
      std::min<uint64_t>(below > kMiB ? (below - kMiB) / 1024 : 0, 0xffff);
  SetLe16(ram_, 0x17, extended);
  SetLe16(ram_, 0x30, extended);
  SetLe16(ram_, 0x34,
          std::min<uint64_t>(below > 16 * kMiB ? (below - 16 * kMiB) >> 16 : 0,
                             0xffff));
  const uint64_t above = machine.ram_above_4g >> 16;
  ram_[0x5b] = static_cast<uint8_t>(above);
  ram_[0x5c] = static_cast<uint8_t>(above >> 8);
  ram_[0x5d] = static_cast<uint8_t>(above >> 16);
  // CPUs - 1; 0 when the count does not fit (firmware then reads fw_cfg).
  ram_[0x5f] = machine.cpus >= 1 && machine.cpus <= 0x100
                   ? static_cast<uint8_t>(machine.cpus - 1)
                   : 0;
  ram_[0x14] = 0x06;  // Equipment: FPU, PS/2 mouse port.
  // Boot order "cad" (disk, floppy, CD-ROM), the floppy signature checked.
  ram_[0x3d] = 0x12;
  ram_[0x38] = 0x30;
}

absl::Time Cmos::GuestTime() const { return clock_() + offset_; }

uint8_t Cmos::Encode(int value) const {
  if ((ram_[kRegisterB] & kBinary) != 0) return static_cast<uint8_t>(value);
  return static_cast<uint8_t>((value / 10) << 4 | (value % 10));
}

int Cmos::Decode(uint8_t value) const {
  if ((ram_[kRegisterB] & kBinary) != 0) return value;
  return (value >> 4) * 10 + (value & 0x0f);
}

uint8_t Cmos::ReadRegister(uint8_t index) {
  if (IsClockField(index)) {
    const absl::CivilSecond now =
        absl::ToCivilSecond(GuestTime(), absl::UTCTimeZone());
    switch (index) {
      case kSeconds:
        return Encode(now.second());
      case kMinutes:
        return Encode(now.minute());
      case kHours: {
        if ((ram_[kRegisterB] & kHour24) != 0) return Encode(now.hour());
        const int hour12 = now.hour() % 12 == 0 ? 12 : now.hour() % 12;
        return Encode(hour12) | (now.hour() >= 12 ? kPm : 0);
      }
      case kWeekday: {
        // The RTC counts Sunday as 1.
        const int monday_based =
            static_cast<int>(absl::GetWeekday(absl::CivilDay(now)));
        return Encode((monday_based + 1) % 7 + 1);
      }
      case kDayOfMonth:
        return Encode(now.day());
      case kMonth:
        return Encode(now.month());
      case kYear:
        return Encode(static_cast<int>(now.year() % 100));
      case kCentury:
        return Encode(static_cast<int>(now.year() / 100));
    }
  }
  switch (index) {
    case kRegisterA: {
      uint8_t value = ram_[kRegisterA] & ~kUpdateInProgress;
      const bool running = (ram_[kRegisterB] & kSet) == 0 &&
                           (value & kDividerMask) == kDividerNormal;
      const absl::Duration into_second =
          absl::Nanoseconds(absl::ToUnixNanos(GuestTime()) % 1000000000);
      if (running && into_second >= absl::Seconds(1) - kUpdateHold) {
        value |= kUpdateInProgress;
      }
      return value;
    }
    case kRegisterC:
      return 0;  // No interrupt sources, so no flags.
    default:
      return ram_[index];
  }
}

void Cmos::WriteRegister(uint8_t index, uint8_t value) {
  if (IsClockField(index)) {
    // Move the guest's clock so that this field reads `value` now; the
    // sub-second phase is kept.
    const absl::Time guest = GuestTime();
    const absl::CivilSecond now =
        absl::ToCivilSecond(guest, absl::UTCTimeZone());
    int64_t year = now.year();
    int month = now.month(), day = now.day(), hour = now.hour(),
        minute = now.minute(), second = now.second();
    switch (index) {
      case kSeconds:
        second = Decode(value);
        break;
      case kMinutes:
        minute = Decode(value);
        break;
      case kHours:
        if ((ram_[kRegisterB] & kHour24) != 0) {
          hour = Decode(value);
        } else {
          hour = Decode(value & ~kPm) % 12 + ((value & kPm) != 0 ? 12 : 0);
        }
        break;
      case kWeekday:
        return;  // Derived from the date.
      case kDayOfMonth:
        day = Decode(value);
        break;
      case kMonth:
        month = Decode(value);
        break;
      case kYear:
        year = year / 100 * 100 + Decode(value);
        break;
      case kCentury:
        year = Decode(value) * 100 + year % 100;
        break;
    }
    // CivilSecond normalizes out-of-range fields (month 13 is January of
    // the next year), so any byte gives some time.
    const absl::Time wanted =
        absl::FromCivil(
            absl::CivilSecond(year, month, day, hour, minute, second),
            absl::UTCTimeZone()) +
        (guest - absl::FromCivil(now, absl::UTCTimeZone()));
    offset_ += wanted - guest;
    return;
  }
  switch (index) {
    case kRegisterA:
      ram_[kRegisterA] = value & ~kUpdateInProgress;
      return;
    case kRegisterC:
    case kRegisterD:
      return;  // Read-only.
    default:
      ram_[index] = value;
  }
}

void Cmos::Read(uint64_t offset, absl::Span<uint8_t> data) {
  base::MutexLock lock(mu_);
  // The index register reads 0xff, as on QEMU.
  data[0] = offset == 0 ? 0xff : ReadRegister(index_);
}

void Cmos::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  base::MutexLock lock(mu_);
  if (offset == 0) {
    index_ = data[0] & 0x7f;  // Bit 7 masks NMIs; there are none to mask.
  } else {
    WriteRegister(index_, data[0]);
  }
}

std::vector<uint8_t> Cmos::SaveState() {
  base::MutexLock lock(mu_);
  base::ByteWriter out;
  out.U8(1);  // version
  out.U8(index_);
  out.Bytes(ram_);
  out.U64(static_cast<uint64_t>(absl::ToInt64Nanoseconds(offset_)));
  return out.Take();
}

absl::Status Cmos::RestoreState(absl::Span<const uint8_t> state) {
  base::ByteReader in(state);
  const uint8_t version = in.U8();
  const uint8_t index = in.U8();
  absl::Span<const uint8_t> ram = in.Bytes(128);
  const int64_t offset = static_cast<int64_t>(in.U64());
  // The index selects one of the 128 bytes (the port write masks bit 7):
  // a snapshot file is untrusted, so a larger one is refused.
  if (!in.ok() || version != 1 || in.remaining() != 0 || index > 0x7f) {
    return absl::InvalidArgumentError("CMOS: unknown state");
  }
  base::MutexLock lock(mu_);
  index_ = index;
  std::copy(ram.begin(), ram.end(), ram_.begin());
  offset_ = absl::Nanoseconds(offset);
  return absl::OkStatus();
}

}  // namespace vmm
