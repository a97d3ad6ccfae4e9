#include "vmm/devices/serial.h"

namespace vmm {

namespace {
constexpr uint8_t kStateVersion = 1;
}  // namespace
namespace {

// Register offsets.
constexpr uint64_t kData = 0;  // THR/RBR, or DLL with DLAB
constexpr uint64_t kIer = 1;   // or DLM with DLAB
constexpr uint64_t kIir = 2;   // FCR on write
constexpr uint64_t kLcr = 3;
constexpr uint64_t kMcr = 4;
constexpr uint64_t kLsr = 5;
constexpr uint64_t kMsr = 6;
constexpr uint64_t kScr = 7;

constexpr uint8_t kIerThre = 0x02;
constexpr uint8_t kIirNone = 0x01;
constexpr uint8_t kIirThre = 0x02;
constexpr uint8_t kIirFifo = 0xc0;       // FIFOs enabled, as a 16550A
constexpr uint8_t kLsrIdle = 0x60;       // THR empty, transmitter empty
constexpr uint8_t kMsrConnected = 0xb0;  // DCD, DSR, CTS

}  // namespace

void Serial16550::Read(uint64_t offset, absl::Span<uint8_t> data) {
  uint8_t value = 0;
  {
    base::MutexLock lock(mu_);
    switch (offset) {
      case kData:
        value = dlab() ? dll_ : 0;  // No input.
        break;
      case kIer:
        value = dlab() ? dlm_ : ier_;
        break;
      case kIir:
        value = kIirFifo | (thre_pending_ ? kIirThre : kIirNone);
        thre_pending_ = false;  // Reading IIR acknowledges THRE.
        break;
      case kLcr:
        value = lcr_;
        break;
      case kMcr:
        value = mcr_;
        break;
      case kLsr:
        value = kLsrIdle;
        break;
      case kMsr:
        // In loopback, the modem outputs feed the inputs (Linux probes this).
        value = (mcr_ & 0x10) ? static_cast<uint8_t>((mcr_ & 0x0c) << 4 |
                                                     (mcr_ & 0x02) << 3 |
                                                     (mcr_ & 0x01) << 5)
                              : kMsrConnected;
        break;
      case kScr:
        value = scr_;
        break;
      default:
        break;
    }
  }
  for (uint8_t& byte : data) byte = value;
}

void Serial16550::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  const uint8_t value = data[0];
  bool interrupt = false;
  bool emit = false;
  {
    base::MutexLock lock(mu_);
    switch (offset) {
      case kData:
        if (dlab()) {
          dll_ = value;
        } else {
          emit = (mcr_ & 0x10) == 0;  // Loopback output stays inside.
          if (ier_ & kIerThre) thre_pending_ = interrupt = true;
        }
        break;
      case kIer:
        if (dlab()) {
          dlm_ = value;
        } else {
          const bool was_enabled = ier_ & kIerThre;
          ier_ = value & 0x0f;
          // Enabling THRE with an empty transmitter interrupts at once.
          if (!was_enabled && (ier_ & kIerThre))
            thre_pending_ = interrupt = true;
        }
        break;
      case kLcr:
        lcr_ = value;
        break;
      case kMcr:
        mcr_ = value & 0x1f;
        break;
      case kScr:
        scr_ = value;
        break;
      default:
        break;  // FCR, LSR, MSR: nothing to do.
    }
  }
  if (emit && output_) output_(value);
  if (interrupt && raise_irq_) raise_irq_();
}

std::vector<uint8_t> Serial16550::SaveState() {
  base::MutexLock lock(mu_);
  return {kStateVersion, ier_, lcr_, mcr_,
          scr_,          dll_, dlm_, static_cast<uint8_t>(thre_pending_)};
}

absl::Status Serial16550::RestoreState(absl::Span<const uint8_t> state) {
  if (state.size() != 8 || state[0] != kStateVersion || state[7] > 1) {
    return absl::InvalidArgumentError("serial: unknown state");
  }
  base::MutexLock lock(mu_);
  ier_ = state[1];
  lcr_ = state[2];
  mcr_ = state[3];
  scr_ = state[4];
  dll_ = state[5];
  dlm_ = state[6];
  thre_pending_ = state[7] != 0;
  return absl::OkStatus();
}

}  // namespace vmm
