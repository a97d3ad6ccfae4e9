#include "vmm/irq_relay.h"

namespace vmm {

void IrqRelay::Connect(Pulse pulse) {
  base::MutexLock lock(mu_);
  pulse_ = std::move(pulse);
}

void IrqRelay::Disconnect() {
  base::MutexLock lock(mu_);
  pulse_ = nullptr;
}

void IrqRelay::Raise(uint32_t irq) {
  base::MutexLock lock(mu_);
  if (pulse_) pulse_(irq);
}

}  // namespace vmm
