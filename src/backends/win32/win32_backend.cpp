// Win32 backend: one message-only window per loop, on the loop thread's message queue.
//
// Primer, and the traps this file is shaped by:
// - Whoever pumps the thread's queue drives us: our run() / poll_once(), the host's
//   GetMessage loop (the plugin case, where run() is never called) or any modal loop
//   (MessageBox, menus, window move/resize, file dialogs). We cannot see those pumps, only put
//   messages in the queue, so every way back into do_work() is a message to our window: a
//   posted kWakeMessage for immediate work, WM_TIMER for the earliest deadline. Our wake
//   message runs a batch in whatever pump dispatches it: that is the plugin case.
// - Cross-thread wake-up is PostMessageW. wake_scheduled_ (Chromium's "have-work message is
//   in the queue") keeps it to one post per batch: cleared when our message is pulled, before
//   the batch drains the mailbox, and reset if the post fails.
// - Retrieval order is sent, posted, input, WM_PAINT, WM_TIMER; WM_PAINT and WM_TIMER are
//   only synthesised while nothing is posted. A stream of our wake messages (a callback that
//   re-posts itself, a busy sender thread) would starve the host's input, paint and timers.
//   Our own pump lets one other message through after pulling ours (Chromium's replacement
//   message). A foreign pump is left to handle its own messages (it may pre-process them:
//   TranslateAccelerator, IsDialogMessage, thread messages): while the host has input, paint
//   or timers waiting we keep the wake flag set, so senders do not post, and come back with a
//   low-priority WM_TIMER (kYieldTimer) instead.
// - SetTimer cannot go below 10 ms (USER_TIMER_MINIMUM), and KillTimer leaves a WM_TIMER
//   that was already generated in the queue. So WM_TIMER (kDeadlineTimer) is only the path
//   for foreign pumps, a WM_TIMER we no longer expect is ignored, and an early one just runs
//   an empty batch and re-arms. Our own pump sleeps in MsgWaitForMultipleObjectsEx on a
//   high-resolution waitable timer (~1 ms) instead.
// - A callback may start a modal loop: a foreign pump nested in our batch. The native timer
//   is armed to its 10 ms minimum before every batch that runs anything, so what is left of
//   the batch, and timers scheduled in it, still run inside the modal loop.
// - MWMO_INPUTAVAILABLE makes the wait return at once while messages sit in the queue, even
//   ones already seen: drain before waiting.
// - WM_QUIT ends GetMessage loops; swallowing it would keep a host alive that was asked to
//   quit. Our run() ends on it and re-posts it, so enclosing loops (ours or the host's) end.
// - Exceptions never unwind through the window procedure: it is noexcept, and the core
//   catches every callback's exception.
// - A callback may call the last deinit() while a foreign pump is dispatching to us: the core
//   (and this backend) can be gone when do_work() returns. BatchFrame tells us not to touch
//   `this` then. run() and poll_once() callers hold a reference to the core, as RunLoop::run
//   does, so `this` outlives them.
#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <optional>

#include "backends/backend.hpp"
#include "backends/win32/message_window.hpp"
#include "backends/win32/wait_timer.hpp"

namespace runloop::detail {
namespace {

constexpr UINT kWakeMessage = WM_APP + 1;
constexpr UINT_PTR kDeadlineTimer = 1;
constexpr UINT_PTR kYieldTimer = 2;
// The native timer's target for immediate work: as soon as WM_TIMER allows.
constexpr Clock::time_point kAsap = Clock::time_point::min();

LRESULT CALLBACK window_procedure(HWND hwnd, UINT message, WPARAM wparam, LPARAM lparam) noexcept;

bool is_due(const NextWork& next) {
  return next.immediate || (next.deadline && *next.deadline <= Clock::now());
}

class Win32Backend final : public Backend {
 public:
  explicit Win32Backend(BackendDelegate& delegate)
      : delegate_(delegate), thread_(GetCurrentThreadId()) {}

  ~Win32Backend() override { detach(); }

  Result<void, Error> attach() { return window_.create(&window_procedure, this); }

  void wake() noexcept override {
    if (wake_scheduled_.exchange(true)) return;  // our message is already on its way
    if (!PostMessageW(window_.hwnd(), kWakeMessage, 0, 0)) {
      // The queue is full (10,000 messages): let a later wake try again.
      wake_scheduled_.store(false);
    }
  }

  void deadline_changed(std::optional<Clock::time_point> deadline) noexcept override {
    assert_loop_thread();
    if (!attached()) return;
    // Outside a batch: only a native timer or message brings a foreign pump back to us.
    if (deadline && *deadline <= Clock::now()) {
      wake();  // not the 10 ms WM_TIMER minimum for a zero delay
    } else {
      arm_native_timer(deadline);
    }
  }

  void run() override {
    assert_loop_thread();
    RunLevel level{false, innermost_run_};
    innermost_run_ = &level;
    while (!level.stopped && attached()) {
      const bool more = process_next_message(&level);
      if (level.stopped || !attached()) break;
      const std::optional<NextWork> next = run_batch();
      if (!next || level.stopped) break;
      if (more || next->immediate) continue;
      wait_for_work(*next);
    }
    innermost_run_ = level.outer;
  }

  void stop() noexcept override {
    // Loop thread: the innermost run() is not waiting, it checks the flag after this call.
    if (innermost_run_ != nullptr) innermost_run_->stopped = true;
  }

  void poll_once(bool may_block) override {
    assert_loop_thread();
    if (!attached()) return;
    const bool was_ready = is_due(delegate_.next_work());
    const bool dispatched = process_next_message(nullptr);
    if (!attached()) return;
    const std::optional<NextWork> next = run_batch();
    if (!next || !may_block || was_ready || dispatched || next->immediate) return;
    // Nothing happened: sleep until something does, then handle it (GLib's iteration).
    wait_for_work(*next);
    process_next_message(nullptr);
    if (attached()) run_batch();
  }

  void detach() noexcept override {
    if (!attached()) return;
    for (RunLevel* level = innermost_run_; level != nullptr; level = level->outer) {
      level->stopped = true;
    }
    for (BatchFrame* frame = innermost_batch_; frame != nullptr; frame = frame->outer) {
      frame->detached = true;
    }
    innermost_batch_ = nullptr;
    window_.destroy();  // kills our timers; Windows drops what is still posted to it
    wait_timer_.close();
    armed_deadline_.reset();
    yield_armed_ = false;
  }

  // A pump that is not ours (the host's, a modal loop) dispatched our wake message.
  void on_wake_message() noexcept {
    // Posted messages come before the host's input, paint and timers. While any of those
    // wait, hold the flag through the batch so that senders do not post again.
    const bool yield = host_messages_waiting();
    if (yield) {
      holding_wake_ = true;
    } else {
      clear_wake_flag();
    }
    const std::optional<NextWork> next = run_batch();
    if (!next) return;  // detached: `this` may be gone
    if (release_held_wake()) {
      // What senders queued while the flag was held has not been announced: look again.
      schedule_next(delegate_.next_work(), true);
    } else {
      schedule_next(*next, yield);
    }
  }

  void on_timer(UINT_PTR id) noexcept {
    if (id == kYieldTimer) {
      if (!yield_armed_) return;  // stale: killed after it was generated
      KillTimer(window_.hwnd(), kYieldTimer);
      yield_armed_ = false;
      on_wake_message();  // the yield timer stood in for our wake message
      return;
    }
    if (id != kDeadlineTimer || !armed_deadline_) return;  // stale
    KillTimer(window_.hwnd(), kDeadlineTimer);
    armed_deadline_.reset();
    const std::optional<NextWork> next = run_batch();
    if (next) schedule_next(*next, false);
  }

 private:
  // One active run(); stop() ends the innermost.
  struct RunLevel {
    bool stopped;
    RunLevel* outer;
  };

  // One do_work() on the stack; detach() marks every frame.
  struct BatchFrame {
    bool detached;
    BatchFrame* outer;
  };

  bool attached() const noexcept { return window_.hwnd() != nullptr; }

  void assert_loop_thread() const noexcept { assert(GetCurrentThreadId() == thread_); }

  // Runs one batch. nullopt: a callback detached us; when a foreign pump dispatched the
  // batch, `this` may already be destroyed then.
  std::optional<NextWork> run_batch() {
    // Should a callback start a modal loop, a WM_TIMER within 10 ms brings it back to us, for
    // the rest of this batch and for timers scheduled in it (the core announces those only
    // through this batch's result).
    if (is_due(delegate_.next_work())) arm_native_timer(kAsap);
    BatchFrame frame{false, innermost_batch_};
    innermost_batch_ = &frame;
    const NextWork next = delegate_.do_work();
    if (frame.detached) return std::nullopt;
    innermost_batch_ = frame.outer;
    return next;
  }

  // After a batch run from a foreign pump: ask for the next one.
  void schedule_next(const NextWork& next, bool yield) noexcept {
    if (!is_due(next)) {
      arm_native_timer(next.deadline);
    } else if (yield || host_messages_waiting()) {
      schedule_yield();
    } else {
      wake();
    }
  }

  // Our wake, as a WM_TIMER: Windows delivers it after the host's input and paint.
  void schedule_yield() noexcept {
    if (wake_scheduled_.exchange(true)) return;  // a wake message is already queued
    if (SetTimer(window_.hwnd(), kYieldTimer, USER_TIMER_MINIMUM, nullptr) != 0) {
      yield_armed_ = true;
    } else {
      wake_scheduled_.store(false);
      wake();
    }
  }

  // One native timer for the earliest deadline (kAsap: immediate work), for foreign pumps.
  void arm_native_timer(std::optional<Clock::time_point> target) noexcept {
    if (target == armed_deadline_) return;
    if (!target) {
      KillTimer(window_.hwnd(), kDeadlineTimer);
      armed_deadline_.reset();
      return;
    }
    UINT ms = USER_TIMER_MINIMUM;
    if (*target != kAsap) {
      const auto remaining = std::min<Clock::duration>(*target - Clock::now(), kMaxNativeDelay);
      const auto rounded = std::chrono::ceil<std::chrono::milliseconds>(remaining).count();
      ms = static_cast<UINT>(std::max<long long>(rounded, USER_TIMER_MINIMUM));
    }
    if (SetTimer(window_.hwnd(), kDeadlineTimer, ms, nullptr) != 0) {
      armed_deadline_ = target;
    } else {
      armed_deadline_.reset();
    }
  }

  // Ends a hold of the wake flag (see on_wake_message). True if there was one.
  bool release_held_wake() noexcept {
    if (!holding_wake_) return false;
    holding_wake_ = false;
    clear_wake_flag();
    return true;
  }

  void clear_wake_flag() noexcept {
    wake_scheduled_.store(false);
    // Pairs with the sender's exchange: either it sees false and posts, or we see its work.
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }

  // Input, paint or timers of the host that a posted message of ours would overtake.
  static bool host_messages_waiting() noexcept {
    return HIWORD(GetQueueStatus(QS_INPUT | QS_PAINT | QS_TIMER | QS_HOTKEY)) != 0;
  }

  // Our pump: retrieves and dispatches one message. True when more may be waiting.
  bool process_next_message(RunLevel* level) {
    // PeekMessage delivers sent messages itself and then reports none: look again then.
    const bool sent = (HIWORD(GetQueueStatus(QS_SENDMESSAGE)) & QS_SENDMESSAGE) != 0;
    MSG msg;
    if (!PeekMessageW(&msg, nullptr, 0, 0, PM_REMOVE)) return sent;
    if (msg.message == WM_QUIT) return end_on_quit(msg, level);
    if (msg.hwnd == window_.hwnd() && msg.message == kWakeMessage) {
      return let_one_message_through(level);
    }
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
    return true;
  }

  // Our pump pulled our wake message; the batch follows in the same pass. Before it, one
  // other message (not a sent one) gets its turn, so a stream of wake messages cannot starve
  // the queue. It is peeked while the flag is still set, so it is never our own.
  bool let_one_message_through(RunLevel* level) {
    MSG msg;
    const bool have = PeekMessageW(&msg, nullptr, 0, 0,
                                   PM_REMOVE | PM_QS_INPUT | PM_QS_PAINT | PM_QS_POSTMESSAGE);
    clear_wake_flag();
    if (!have) return false;
    if (msg.message == WM_QUIT) return end_on_quit(msg, level);
    // Should the message start a modal loop, our pending work still gets a time slice.
    if (delegate_.next_work().immediate) wake();
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
    return true;
  }

  // WM_QUIT ends this run() (poll_once() just returns) and goes back in the queue for the
  // enclosing loops, ours or the host's.
  static bool end_on_quit(const MSG& msg, RunLevel* level) noexcept {
    PostQuitMessage(static_cast<int>(msg.wParam));
    if (level != nullptr) level->stopped = true;
    return false;
  }

  // Our pump, with nothing to do: sleeps until a message arrives or the deadline passes.
  void wait_for_work(const NextWork& next) {
    // A batch holding the flag ran our pump (run(), block_on): senders must post again, or
    // nothing would wake this wait.
    if (release_held_wake() && delegate_.next_work().immediate) return;
    arm_native_timer(next.deadline);  // for a modal loop that a later message may start
    DWORD flags = MWMO_INPUTAVAILABLE;
    for (;;) {
      DWORD count = 0;
      DWORD timeout = INFINITE;
      if (next.deadline) {
        const auto remaining = *next.deadline - Clock::now();
        if (remaining <= Clock::duration::zero()) return;
        if (wait_timer_.arm(remaining)) {
          count = 1;
        } else {
          const auto capped = std::min<Clock::duration>(remaining, kMaxNativeDelay);
          timeout =
              static_cast<DWORD>(std::chrono::ceil<std::chrono::milliseconds>(capped).count());
        }
      }
      HANDLE handles[1] = {wait_timer_.handle()};
      const DWORD result = MsgWaitForMultipleObjectsEx(count, handles, timeout, QS_ALLINPUT, flags);
      if (result != WAIT_OBJECT_0 + count) return;  // the deadline (or a failure)
      // A message is available, unless it is input for a thread attached to ours: then wait
      // for new messages only, or this would spin (Chromium's WaitForWork does the same).
      if ((HIWORD(GetQueueStatus(QS_SENDMESSAGE)) & QS_SENDMESSAGE) != 0) return;
      MSG msg;
      if (PeekMessageW(&msg, nullptr, 0, 0, PM_NOREMOVE)) return;
      flags = 0;
    }
  }

  BackendDelegate& delegate_;
  const DWORD thread_;
  MessageWindow window_;
  WaitTimer wait_timer_;
  std::atomic<bool> wake_scheduled_{false};  // any thread
  std::optional<Clock::time_point> armed_deadline_;
  bool yield_armed_ = false;   // kYieldTimer stands in for our wake message
  bool holding_wake_ = false;  // a batch keeps wake_scheduled_ set while the host is busy
  RunLevel* innermost_run_ = nullptr;
  BatchFrame* innermost_batch_ = nullptr;
};

LRESULT CALLBACK window_procedure(HWND hwnd, UINT message, WPARAM wparam, LPARAM lparam) noexcept {
  // Null before attach() finished and once detached: DefWindowProcW handles it all then.
  if (auto* backend = reinterpret_cast<Win32Backend*>(GetWindowLongPtrW(hwnd, GWLP_USERDATA))) {
    if (message == kWakeMessage) {
      backend->on_wake_message();
      return 0;
    }
    if (message == WM_TIMER) {
      backend->on_timer(wparam);
      return 0;
    }
  }
  return DefWindowProcW(hwnd, message, wparam, lparam);
}

}  // namespace

Result<std::unique_ptr<Backend>, Error> create_backend(BackendDelegate& delegate) {
  std::unique_ptr<Win32Backend> backend(new Win32Backend(delegate));
  auto attached = backend->attach();
  if (!attached) return Unexpected(attached.error());
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace runloop::detail
