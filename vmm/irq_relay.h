// IrqRelay: where the machine's ISA devices raise their interrupts.
//
// A device built with the machine (COM1) holds the relay; whoever runs the
// machine connects an interrupt controller for the length of the run (KVM's
// in-kernel irqchip) and disconnects it afterwards, so no device ever calls
// into a controller that is gone. With nothing connected (the qtest
// endpoint has no vCPU and no irqchip) pulses are dropped.
//
//   relay.Connect([vm](uint32_t irq) { vm->SetIrqLine(irq, true); ... });
//   ...run...
//   relay.Disconnect();

#ifndef VMM_IRQ_RELAY_H_
#define VMM_IRQ_RELAY_H_

#include <cstdint>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "base/mutex.h"

namespace vmm {

class IrqRelay {
 public:
  // An edge on ISA line `irq`.
  using Pulse = std::function<void(uint32_t irq)>;

  void Connect(Pulse pulse);
  void Disconnect();
  // Any vCPU thread.
  void Raise(uint32_t irq);

 private:
  base::Mutex mu_;
  Pulse pulse_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vmm

#endif  // VMM_IRQ_RELAY_H_
