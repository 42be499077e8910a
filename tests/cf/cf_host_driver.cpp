#include <CoreFoundation/CoreFoundation.h>

#include "test_support.hpp"

namespace runloop::test {

// A host iterating its CFRunLoop: one pass in the default mode, returning after one handled
// source (as NSRunLoop's runMode:beforeDate: does), sleeping at most a second.
void host_iterate(bool may_block) {
  CFRunLoopRunInMode(kCFRunLoopDefaultMode, may_block ? 1.0 : 0, true);
}

const char* backend_name() {
  return "cf";
}

}  // namespace runloop::test
