#include "vmm/devices/i8042.h"

namespace vmm {
namespace {

constexpr uint64_t kDataOffset = 0;
constexpr uint64_t kCommandOffset = I8042::kCommandPort - I8042::kDataPort;

// Status register bits.
constexpr uint8_t kOutputFull = 0x01;
constexpr uint8_t kSystemFlag = 0x04;  // set by a passed self-test
constexpr uint8_t kLastWasCommand = 0x08;
constexpr uint8_t kAuxData = 0x20;  // the byte to read is the aux port's

// Command byte bits.
constexpr uint8_t kKeyboardDisabled = 0x10;
constexpr uint8_t kAuxDisabled = 0x20;

// A reply queued from the auxiliary port carries this bit.
constexpr uint16_t kFromAux = 0x100;

}  // namespace

void I8042::Reply(uint8_t value) {
  if (output_.size() < 16) output_.push_back(value);
}

bool I8042::Command(uint8_t command) {
  // Pulsing output-port bits (0xf0-0xff): bit 0 clear pulses reset.
  if ((command & 0xf0) == 0xf0) return (command & 0x01) == 0;
  switch (command) {
    case 0x20:  // Read the command byte.
      Reply(command_byte_);
      break;
    case 0x60:  // Write the command byte.
    case 0xd1:  // Write the output port.
    case 0xd2:  // Write the keyboard output buffer.
    case 0xd3:  // Write the auxiliary output buffer.
    case 0xd4:  // Write to the auxiliary device.
      pending_ = command;
      break;
    case 0xa7:
      command_byte_ |= kAuxDisabled;
      break;
    case 0xa8:
      command_byte_ &= ~kAuxDisabled;
      break;
    case 0xa9:  // Auxiliary interface test: no error.
    case 0xab:  // Keyboard interface test: no error.
      Reply(0x00);
      break;
    case 0xaa:  // Controller self-test: passed.
      status_ |= kSystemFlag;
      Reply(0x55);
      break;
    case 0xad:
      command_byte_ |= kKeyboardDisabled;
      break;
    case 0xae:
      command_byte_ &= ~kKeyboardDisabled;
      break;
    case 0xc0:  // Read the input port: keyboard not inhibited.
      Reply(0x80);
      break;
    case 0xd0:
      Reply(output_port_);
      break;
    case 0xdd:  // Disable A20.
      output_port_ &= ~0x02;
      break;
    case 0xdf:  // Enable A20.
      output_port_ |= 0x02;
      break;
    default:
      break;
  }
  return false;
}

bool I8042::DataWrite(uint8_t value) {
  const uint8_t command = pending_;
  pending_ = 0;
  switch (command) {
    case 0x60:
      command_byte_ = value;
      return false;
    case 0xd1:
      output_port_ = value;
      return (value & 0x01) == 0;  // The reset line held active.
    case 0xd2:
      Reply(value);
      return false;
    case 0xd3:
      if (output_.size() < 16) output_.push_back(kFromAux | value);
      return false;
    default:
      // For the keyboard (or, after 0xd4, the mouse): nothing is attached.
      return false;
  }
}

void I8042::Read(uint64_t offset, absl::Span<uint8_t> data) {
  base::MutexLock lock(mu_);
  if (offset == kCommandOffset) {
    uint8_t status = status_;
    if (!output_.empty()) {
      status |= kOutputFull;
      if ((output_.front() & kFromAux) != 0) status |= kAuxData;
    }
    data[0] = status;
  } else if (offset == kDataOffset) {
    // With nothing queued the last byte read is read again, as on QEMU.
    if (!output_.empty()) {
      last_read_ = static_cast<uint8_t>(output_.front());
      output_.pop_front();
    }
    data[0] = last_read_;
  } else {
    data[0] = 0;
  }
}

void I8042::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  bool reset = false;
  {
    base::MutexLock lock(mu_);
    if (offset == kCommandOffset) {
      status_ |= kLastWasCommand;
      pending_ = 0;
      reset = Command(data[0]);
    } else if (offset == kDataOffset) {
      status_ &= ~kLastWasCommand;
      reset = DataWrite(data[0]);
    }
  }
  if (reset && on_reset_) on_reset_();
}

}  // namespace vmm
