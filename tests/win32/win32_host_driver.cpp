// The conformance suite's host: one iteration of a plain Win32 message pump, as a host
// application (or a plugin host) runs it. run() is never involved.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include "test_support.hpp"

namespace runloop::test {

void host_iterate(bool may_block) {
  MSG msg;
  if (may_block) {
    if (GetMessageW(&msg, nullptr, 0, 0) <= 0) return;  // WM_QUIT (or an error): nothing to run
  } else if (!PeekMessageW(&msg, nullptr, 0, 0, PM_REMOVE)) {
    return;
  }
  TranslateMessage(&msg);
  DispatchMessageW(&msg);
}

const char* backend_name() {
  return "win32";
}

}  // namespace runloop::test
