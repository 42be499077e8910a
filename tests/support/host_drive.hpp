#pragma once

#include <chrono>
#include <functional>
#include <memory>

// How a host drives the native loop, for tests. Nothing here depends on runloop: a plugin
// host test links it without the library, as a real host would.
namespace runloop::test {

// Generous: tests wait on conditions, and a shared 2-core machine can be slow.
inline constexpr std::chrono::seconds kTimeout{30};

// Per backend (tests/<backend>/<backend>_host_driver.cpp) ------------------------------------

// One iteration of the native loop as a host runs it; with may_block it sleeps until
// something happens.
void host_iterate(bool may_block);

// Loop thread: a callable, safe to call from any thread, that makes a blocked
// host_iterate() on this thread return.
std::function<void()> host_waker();

// The name shown in test output.
const char* backend_name();

// Whether a host may iterate its loop from inside one of the loop's callbacks, as a modal
// dialog does (GLib, Win32, CF: yes; android::Looper is not re-entrant: a nested pollOnce()
// corrupts the outer one).
bool host_loop_is_reentrant();

// Stand-ins for the host's own work, of the host's kind (GLib: a source at GTK's redraw
// priority that is ready every other iteration, and an idle callback; Win32: a posted
// message and WM_TIMER; ALooper: a readable fd; CF: a source and a timer). They run only
// while the host iterates; runs() is the fewest runs of any of them.
class HostActivity {
 public:
  HostActivity();
  ~HostActivity();
  HostActivity(const HostActivity&) = delete;
  HostActivity& operator=(const HostActivity&) = delete;
  int runs() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Portable (tests/support/host_drive.cpp) -----------------------------------------------------

// The one "drive until" helper: iterates the native loop with blocking waits until done()
// holds or `timeout` passes. Nothing keeps the loop awake meanwhile: a lost wake-up or an
// unarmed deadline shows as a timeout. Only the timeout wakes the host, once.
bool drive_until(const std::function<bool()>& done, std::chrono::nanoseconds timeout = kTimeout);

// Iterates the native loop for `duration` (never less).
void drive_for(std::chrono::nanoseconds duration);

// True while drive_until() or drive_for() is on the stack: a caller is inside a callback
// that the host's iteration dispatched.
bool driving();

}  // namespace runloop::test
