#include "vmm/devices/acpi_pm.h"

#include <algorithm>

namespace vmm {
namespace {

constexpr uint64_t kStatus = 0;
constexpr uint64_t kControl = 4;
constexpr uint16_t kSciEnable = 0x0001;
constexpr uint16_t kSleepEnable = 0x2000;
constexpr uint16_t kSleepTypeMask = 0x1c00;
constexpr uint16_t kS5SleepType = 0;  // \_S5 = Package {0, 0, 0, 0}

}  // namespace

void AcpiPm::Read(uint64_t offset, absl::Span<uint8_t> data) {
  base::MutexLock lock(mu_);
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = offset + i < kSize ? registers_[offset + i] : 0;
  }
}

void AcpiPm::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  bool power_off = false;
  {
    base::MutexLock lock(mu_);
    for (size_t i = 0; i < data.size() && offset + i < kSize; ++i) {
      const uint64_t at = offset + i;
      if (at < kStatus + 2) {
        registers_[at] &= static_cast<uint8_t>(~data[i]);  // Write 1 to clear.
      } else {
        registers_[at] = data[i];
      }
    }
    const uint16_t control = registers_[kControl] | registers_[kControl + 1]
                                                        << 8;
    if ((control & kSleepEnable) != 0) {
      power_off = ((control & kSleepTypeMask) >> 10) == kS5SleepType;
      // SLP_EN always reads 0; SCI_EN stays set.
      registers_[kControl + 1] &= static_cast<uint8_t>(~(kSleepEnable >> 8));
    }
    registers_[kControl] |= kSciEnable;
  }
  if (power_off && on_power_off_) on_power_off_();
}

std::vector<uint8_t> AcpiPm::SaveState() {
  base::MutexLock lock(mu_);
  return std::vector<uint8_t>(registers_, registers_ + kSize);
}

absl::Status AcpiPm::RestoreState(absl::Span<const uint8_t> state) {
  if (state.size() != kSize) {
    return absl::InvalidArgumentError("ACPI PM1: unknown state");
  }
  base::MutexLock lock(mu_);
  std::copy(state.begin(), state.end(), registers_);
  return absl::OkStatus();
}

}  // namespace vmm
