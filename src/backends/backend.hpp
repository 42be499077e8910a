#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "runloop/error.hpp"
#include "runloop/result.hpp"

// The small interface between the portable core and one native loop. The core owns every
// queue, timer and task; a backend never sees them. It only (1) wakes the loop thread,
// (2) wakes it at the earliest deadline, (3) runs, stops and polls the native loop.
namespace runloop::detail {

using Clock = std::chrono::steady_clock;

// What the core needs next, computed from one reading of the clock.
struct NextWork {
  bool immediate = false;                     // work is ready now
  std::optional<Clock::time_point> deadline;  // else: the earliest timer, if any
};

// Implemented by the core; called by the backend on the loop thread only.
class BackendDelegate {
 public:
  // Runs one bounded batch: the work that was ready when it began. Re-entrant (a callback
  // may run a nested loop). Returns what comes next.
  virtual NextWork do_work() = 0;
  // What comes next, without running anything (GLib prepare/check, re-arming).
  virtual NextWork next_work() const = 0;

 protected:
  ~BackendDelegate() = default;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Thread-safe. Makes the loop thread call do_work() soon. The core calls it at most once
  // per batch, under the mailbox lock, and never after detach().
  virtual void wake() noexcept = 0;
  // Loop thread, outside or inside do_work(): same as wake() for work posted on the loop
  // thread itself. Backends whose loop asks next_work() before sleeping need nothing here.
  virtual void wake_from_loop_thread() noexcept { wake(); }
  // Loop thread: the earliest deadline changed outside do_work() (a timer was scheduled or
  // cancelled from the loop thread while the native loop is idle).
  virtual void deadline_changed(std::optional<Clock::time_point> deadline) noexcept = 0;

  // Drives the native loop until stop() ends this level or the backend is detached.
  virtual void run() = 0;
  // Ends the innermost run(); no effect without one.
  virtual void stop() noexcept = 0;
  // The platform application loop; defaults to run()/stop().
  virtual void run_app() { run(); }
  virtual void stop_app() noexcept { stop(); }
  // One native iteration (block_on). With may_block it sleeps until something happens.
  virtual void poll_once(bool may_block) = 0;

  // Loop thread, once, at shutdown: removes every native object of ours from the loop and
  // ends every active run(). wake() is never called again after this.
  virtual void detach() noexcept = 0;
};

// One per platform, chosen at build time.
Result<std::unique_ptr<Backend>, Error> create_backend(BackendDelegate& delegate);

}  // namespace runloop::detail
