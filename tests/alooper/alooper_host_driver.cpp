#include <android/looper.h>

#include "test_support.hpp"

namespace runloop::test {

// What a host does: the Java Looper's MessageQueue.next() calls pollOnce on the thread's
// looper, waiting (-1) or not (0).
void host_iterate(bool may_block) {
  ALooper_pollOnce(may_block ? -1 : 0, nullptr, nullptr, nullptr);
}

const char* backend_name() {
  return "alooper";
}

}  // namespace runloop::test
