#include "base/mutex.h"

#include <cstdio>
#include <cstdlib>

namespace base::internal {

void DieOfRelock() {
  std::fputs(
      "base::Mutex: this thread already holds the mutex it is locking; a "
      "callback called back into the object that called it (for fw_cfg: "
      "item callbacks run under the device lock, see fw_cfg/item.h)\n",
      stderr);
  std::abort();
}

}  // namespace base::internal
