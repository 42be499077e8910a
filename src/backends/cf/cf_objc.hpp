// The few Objective-C things the CoreFoundation backend needs, through the Objective-C
// runtime's C API so that the library stays plain C++ (no .mm files, no AppKit link).
#pragma once

#include "backends/cf/cf_api.h"

namespace runloop::detail::objc {

#if RUNLOOP_CF_OBJC
// An autorelease pool for the duration of one batch: objects that callbacks autorelease are
// freed when the batch ends instead of piling up in whatever pool the host drains (maybe
// never, for a CFRunLoop driven without AppKit).
class AutoreleasePool {
 public:
  AutoreleasePool() noexcept;
  ~AutoreleasePool();
  AutoreleasePool(const AutoreleasePool&) = delete;
  AutoreleasePool& operator=(const AutoreleasePool&) = delete;

 private:
  void* token_;
};
#else
class AutoreleasePool {
 public:
  AutoreleasePool() noexcept {}  // user-provided: declaring one is not an unused variable
};
#endif

#if RUNLOOP_CF_APPKIT
// NSApplication, found at run time: true when AppKit is loaded in this process (it is never
// linked by us; a command-line program that does not load it gets run() instead).
bool have_application() noexcept;
// [NSApp isRunning]: the application loop is already up (a plugin in a GUI host).
bool application_is_running() noexcept;
// [NSApp run]: the application loop proper; returns after [NSApp stop:].
void run_application();
// [NSApp stop:nil] plus a wake-up event: stop: only takes effect after an event is handled.
void stop_application() noexcept;
// Posts an application-defined event that does nothing, so that a loop waiting in
// nextEventMatchingMask: returns and looks at its flags.
void post_wake_event() noexcept;
// One turn of an event loop nested in a running application: waits for the next event in
// the default mode (our source and timer keep firing meanwhile) and sends it.
void handle_next_event();
#endif

}  // namespace runloop::detail::objc
