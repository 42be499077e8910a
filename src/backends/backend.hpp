#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "runloop/error.hpp"
#include "runloop/result.hpp"

// The small interface between the portable core and one native loop (Chromium's split: a
// dumb pump under a smart core). The core owns every queue, timer, task, run level and
// budget; a backend never sees them. A backend only (1) wakes the loop thread, (2) keeps one
// native timer armed for the deadline the core announces, (3) polls the native loop once.
//
// The contract, which every backend follows in the same order:
// - Every native callback of ours (GLib dispatch, window procedure, looper callback, CF
//   perform/timer) opens a DelegateScope first: it keeps the core, and so the backend, alive
//   until the callback returns, even if user code calls the last deinit() meanwhile. After
//   do_work() the backend checks attached() before touching native objects.
// - do_work() runs one bounded batch. While immediate work is left (in the batch or after
//   it) the core keeps a wake-up requested (wake_from_loop_thread()), so a nested or foreign
//   loop started by a callback comes back to us and no backend has to re-signal itself.
// - The core announces the earliest deadline through arm_deadline() whenever it changes, at
//   any dispatch depth, and only then. A backend whose native timer fired calls
//   native_timer_fired() before do_work(), so the core knows that nothing is armed any more.
// - poll_once() returns as soon as a batch that ran something has finished, and sleeps only
//   while nothing is ready (asking next_work() right before it sleeps).
namespace runloop::detail {

using Clock = std::chrono::steady_clock;

// What the core needs next, computed from one reading of the clock.
struct NextWork {
  bool immediate = false;                     // work is ready now
  std::optional<Clock::time_point> deadline;  // else: the earliest timer, if any
};

// What one batch did.
struct WorkReport {
  bool ran = false;  // at least one callback, timer or task step ran
  NextWork next;
};

// Implemented by the core; called by the backend on the loop thread only.
class BackendDelegate {
 public:
  // Runs one bounded batch (kMaxBatchCallbacks / kMaxBatchTime, see core/batch_budget.hpp).
  // Re-entrant: a callback may run a nested loop.
  virtual WorkReport do_work() = 0;
  // What comes next, without running anything (GLib prepare/check, before sleeping).
  virtual NextWork next_work() const = 0;
  // The native timer armed for the announced deadline fired (it is no longer armed).
  virtual void native_timer_fired() noexcept = 0;
  // A native quit request (WM_QUIT) ends the innermost run(). False when it ended none (no
  // run() is active, or the innermost one is stopped already: a block_on() polls inside it),
  // so that the backend holds the request instead of seeing it again on every poll.
  virtual bool quit_requested() noexcept = 0;

  // Keep the core alive for a native callback; use DelegateScope.
  virtual void retain() noexcept = 0;
  virtual void release() noexcept = 0;

 protected:
  ~BackendDelegate() = default;
};

// Opened at the top of every native callback of ours.
class DelegateScope {
 public:
  explicit DelegateScope(BackendDelegate& delegate) noexcept : delegate_(delegate) {
    delegate_.retain();
  }
  DelegateScope(const DelegateScope&) = delete;
  DelegateScope& operator=(const DelegateScope&) = delete;
  ~DelegateScope() { delegate_.release(); }

 private:
  BackendDelegate& delegate_;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Thread-safe. Makes the loop thread call do_work() soon. Returns false when the wake-up
  // could not be queued (the core then retries on the next post). The core calls it at most
  // once per batch, under the mailbox lock, and never after detach().
  virtual bool wake() noexcept = 0;
  // Loop thread: same as wake() for work queued on the loop thread itself. Backends whose
  // loop asks next_work() before it sleeps need nothing here. The request holds until a
  // do_work() that begins after it: if that batch leaves no immediate work the backend may
  // drop what it had queued for it (Win32 releases its yield timer), and the core asks again
  // for the next post.
  virtual void wake_from_loop_thread() noexcept { wake(); }
  // Loop thread: arm the one native timer for `deadline` (none: disarm). Called by the core
  // only when the announced deadline changes.
  virtual void arm_deadline(std::optional<Clock::time_point> deadline) noexcept = 0;

  // One native iteration (run(), block_on()): dispatches what is ready; with may_block and
  // nothing ready, sleeps until something may be. Never sleeps after a batch ran something.
  virtual void poll_once(bool may_block) = 0;
  // The platform application loop (gtk_main, NSApp run). False: there is none, the core
  // runs its own loop instead.
  virtual bool run_app() { return false; }
  virtual bool stop_app() noexcept { return false; }

  // Loop thread, once, at shutdown: removes every native object of ours from the loop.
  // wake() is never called again after this.
  virtual void detach() noexcept = 0;
  virtual bool attached() const noexcept = 0;
};

// One per platform, chosen at build time.
Result<std::unique_ptr<Backend>, Error> create_backend(BackendDelegate& delegate);

}  // namespace runloop::detail
