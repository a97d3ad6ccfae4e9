#include "fw_cfg/dma_register.h"

#include "base/byte_order.h"
#include "fw_cfg/keys.h"

namespace fw_cfg {

void FwCfgDmaRegister::Read(uint64_t offset, absl::Span<uint8_t> data) {
  uint8_t signature[kSize];
  base::StoreBe64(signature, kDmaSignature);
  for (size_t i = 0; i < data.size(); ++i) {
    // The bus never hands this 8-byte register bytes past its end, but stay
    // inside the array whatever the offset.
    data[i] = offset + i < kSize ? signature[offset + i] : 0;
  }
}

void FwCfgDmaRegister::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  if (data.size() == 4 && offset == 0) {
    device_->WriteDmaAddressHigh(base::LoadBe32(data.data()));
  } else if (data.size() == 4 && offset == 4) {
    device_->WriteDmaAddressLow(base::LoadBe32(data.data()));
  } else if (data.size() == 8 && offset == 0) {
    device_->WriteDmaAddress(base::LoadBe64(data.data()));
  }
}

}  // namespace fw_cfg
