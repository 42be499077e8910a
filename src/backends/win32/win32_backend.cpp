// Win32 backend: one message-only window per loop, on the loop thread's message queue.
//
// Primer, and the traps this file is shaped by (the phases in the same order as the other
// backends' primers):
// - Dispatch. Whoever pumps the thread's queue drives us: our poll_once() (run(), block_on),
//   the host's GetMessage loop (the plugin case, where run() is never called) or any modal
//   loop (MessageBox, menus, window move/resize, file dialogs). We cannot see those pumps,
//   only put messages in the queue, so every way back into do_work() is a message to our
//   window: a posted kWakeMessage, or WM_TIMER. What runs is decided by the core's state
//   (the batch's report, next_work()), never by which message arrived.
// - Deadline. arm_deadline() (at any depth) sets WM_TIMER (kDeadlineTimer) for foreign pumps.
//   SetTimer cannot go below 10 ms (USER_TIMER_MINIMUM), so a deadline that is already due
//   gets our wake message instead; and our own pump sleeps in MsgWaitForMultipleObjectsEx on a
//   high-resolution waitable timer (~1 ms). KillTimer leaves a WM_TIMER that was already
//   generated in the queue: one we no longer expect is ignored, and an early one runs an empty
//   batch after native_timer_fired(), which makes the core arm the deadline again.
// - Wake-up. PostMessageW, from any thread. wake_scheduled_ (Chromium's "have-work message is
//   in the queue") keeps it to one post per batch: cleared when our message is pulled, before
//   the batch drains the mailbox; reset, and false returned, if the post fails (a full queue:
//   the mailbox retries on the next send). Work queued on the loop thread posts too: a foreign
//   pump has no other way to notice it.
// - Nested and foreign loops. A callback may start a modal loop: a foreign pump nested in our
//   batch. The core keeps a wake-up requested while immediate work is left and announces every
//   deadline change at any depth, so the rest of the batch, and timers scheduled while the
//   modal loop runs, still run inside it. The window procedure is reentrant for this.
// - Run levels are the core's. WM_QUIT ends GetMessage loops, and swallowing it would keep a
//   host alive that was asked to quit: when it ends a run() level (quit_requested()) it goes
//   straight back into the queue for the enclosing loops, ours or the host's. When it ends none
//   (block_on), putting it back at once would make the next poll pull it again, a busy loop:
//   it is held while that poll runs and put back when the poll returns.
// - Fairness. Retrieval order is sent, posted, input, WM_PAINT, WM_TIMER, and WM_PAINT and
//   WM_TIMER are only synthesised while nothing is posted: a stream of our wake messages (a
//   callback that re-posts itself, a busy sender) would starve the host's input, paint and
//   timers. Our own pump lets one other message through after pulling ours (Chromium's
//   replacement message). A foreign pump is left to handle its own messages (it may
//   pre-process them: TranslateAccelerator, IsDialogMessage): while the host has input, paint
//   or timers waiting, a batch keeps the wake flag set, so that senders do not post, and comes
//   back through a low-priority WM_TIMER (kYieldTimer). That timer is armed before the batch,
//   so a modal loop started in the batch comes back to us as well.
// - Unload safety. The window's class belongs to the module that embeds us (see
//   message_window.hpp); detach() destroys the window, which kills its timers and drops what
//   is posted to it, and unregisters the class. Every native callback opens a DelegateScope,
//   so a callback that calls the last deinit() leaves `this` alive until the callback returns;
//   the window procedure is noexcept (the core catches every callback's exception).
#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <optional>
#include <utility>

#include "backends/backend.hpp"
#include "backends/win32/message_window.hpp"
#include "backends/win32/wait_timer.hpp"
#include "core/time_math.hpp"

namespace runloop::detail {
namespace {

constexpr UINT kWakeMessage = WM_APP + 1;
constexpr UINT_PTR kDeadlineTimer = 1;
constexpr UINT_PTR kYieldTimer = 2;

LRESULT CALLBACK window_procedure(HWND hwnd, UINT message, WPARAM wparam, LPARAM lparam) noexcept;

bool is_due(const NextWork& next) {
  return next.immediate || (next.deadline && *next.deadline <= Clock::now());
}

// Input, paint or timers of the host that a posted message of ours would overtake.
bool host_messages_waiting() noexcept {
  return HIWORD(GetQueueStatus(QS_INPUT | QS_PAINT | QS_TIMER | QS_HOTKEY)) != 0;
}

bool sent_message_waiting() noexcept {
  return (HIWORD(GetQueueStatus(QS_SENDMESSAGE)) & QS_SENDMESSAGE) != 0;
}

class Win32Backend final : public Backend {
 public:
  explicit Win32Backend(BackendDelegate& delegate)
      : delegate_(delegate), thread_(GetCurrentThreadId()) {}

  ~Win32Backend() override { detach(); }

  Result<void, Error> attach() { return window_.create(&window_procedure, this); }

  bool wake() noexcept override {
    if (wake_scheduled_.exchange(true)) return true;  // our message (or kYieldTimer) is on its way
    if (PostMessageW(window_.hwnd(), kWakeMessage, 0, 0)) return true;
    wake_scheduled_.store(false);  // the queue is full (10,000 messages): let a later wake try
    return false;
  }

  void arm_deadline(std::optional<Clock::time_point> deadline) noexcept override {
    assert_loop_thread();
    if (!attached()) return;
    if (!deadline) {
      disarm_deadline_timer();
      return;
    }
    const auto delay = native_timeout<std::chrono::milliseconds>(*deadline, Clock::now());
    // Due already: our message is dispatched at once, a WM_TIMER only after 10 ms.
    if (delay.count() == 0 && wake()) {
      disarm_deadline_timer();
      return;
    }
    // Replaces the one armed before, if any.
    const auto ms = std::max<long long>(delay.count(), USER_TIMER_MINIMUM);
    deadline_armed_ = SetTimer(window_.hwnd(), kDeadlineTimer, static_cast<UINT>(ms), nullptr) != 0;
  }

  // One iteration of our own pump: one message (as GetMessage would pick it), then one batch.
  // It sleeps only when neither did anything and nothing is due.
  void poll_once(bool may_block) override {
    assert_loop_thread();
    if (!attached()) return;
    QuitHold quit_hold(*this);
    const bool pumped = pump_one_message();
    if (!attached()) return;
    const WorkReport report = delegate_.do_work();
    if (!may_block || pumped || report.ran || !attached() || is_due(report.next)) return;
    wait_for_work(report.next);
    pump_one_message();
    if (attached()) delegate_.do_work();
  }

  bool attached() const noexcept override { return window_.hwnd() != nullptr; }

  void detach() noexcept override {
    if (!attached()) return;
    window_.destroy();  // kills our timers; Windows drops what is still posted to it
    wait_timer_.close();
    deadline_armed_ = false;
    yield_armed_ = false;
  }

  // Our wake message, dispatched by a pump that is not ours (ours takes it out itself).
  void on_wake_message() noexcept {
    DelegateScope scope(delegate_);
    yield_or_clear_wake_flag();
    run_batch_for_foreign_pump();
  }

  // A WM_TIMER of ours, from any pump.
  void on_timer(UINT_PTR id) noexcept {
    DelegateScope scope(delegate_);
    if (id == kYieldTimer) {
      if (!yield_armed_) return;  // stale: killed after it was generated
      KillTimer(window_.hwnd(), kYieldTimer);
      yield_armed_ = false;
      yield_or_clear_wake_flag();  // it stood in for our wake message: the flag is still set
    } else if (id == kDeadlineTimer) {
      if (!deadline_armed_) return;               // stale
      KillTimer(window_.hwnd(), kDeadlineTimer);  // SetTimer repeats
      deadline_armed_ = false;
      delegate_.native_timer_fired();
    } else {
      return;
    }
    run_batch_for_foreign_pump();
  }

 private:
  // One poll_once(): a WM_QUIT held during it goes back into the queue when it returns.
  class QuitHold {
   public:
    explicit QuitHold(Win32Backend& backend) noexcept
        : backend_(backend), outer_(std::exchange(backend.held_quit_, {})) {}
    QuitHold(const QuitHold&) = delete;
    QuitHold& operator=(const QuitHold&) = delete;
    ~QuitHold() {
      if (backend_.held_quit_) PostQuitMessage(*backend_.held_quit_);
      backend_.held_quit_ = outer_;
    }

   private:
    Win32Backend& backend_;
    std::optional<int> outer_;  // held by an enclosing poll (not in the queue either)
  };

  void assert_loop_thread() const noexcept { assert(GetCurrentThreadId() == thread_); }

  void disarm_deadline_timer() noexcept {
    if (!deadline_armed_) return;
    KillTimer(window_.hwnd(), kDeadlineTimer);
    deadline_armed_ = false;
  }

  // Our pump: retrieves and dispatches one message. True when something happened: a message,
  // a sent message (PeekMessage delivers those itself and then reports none), or a WM_QUIT
  // that ended a run() level.
  bool pump_one_message() {
    for (;;) {
      const bool sent = sent_message_waiting();
      MSG msg;
      if (!PeekMessageW(&msg, nullptr, 0, 0, PM_REMOVE)) return sent;
      if (msg.message == WM_QUIT) {
        if (on_quit(msg)) return true;
        continue;  // held: the queue may hold something else
      }
      if (msg.hwnd == window_.hwnd() && msg.message == kWakeMessage) {
        let_one_message_through();
        return true;
      }
      TranslateMessage(&msg);
      DispatchMessageW(&msg);
      return true;
    }
  }

  // Our pump pulled our wake message; the batch follows in this poll. Before it, one other
  // message (not a sent one) gets its turn, so a stream of wake messages cannot starve the
  // queue. It is peeked while the flag is still set, so it is never our own.
  void let_one_message_through() {
    MSG msg;
    const bool have = PeekMessageW(&msg, nullptr, 0, 0,
                                   PM_REMOVE | PM_QS_INPUT | PM_QS_PAINT | PM_QS_POSTMESSAGE);
    clear_wake_flag();
    if (!have) return;
    if (msg.message == WM_QUIT) {
      on_quit(msg);  // the batch runs either way
      return;
    }
    // Should the message start a modal loop, our pending work still gets a time slice.
    if (delegate_.next_work().immediate) wake();
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
  }

  // True when the WM_QUIT ended a run() level: it goes back into the queue for the enclosing
  // loops. Otherwise it is held until this poll returns (see QuitHold).
  bool on_quit(const MSG& msg) noexcept {
    const int code = static_cast<int>(msg.wParam);
    if (delegate_.quit_requested()) {
      PostQuitMessage(code);
      return true;
    }
    held_quit_ = code;
    return false;
  }

  // Our pump, with nothing to do: sleeps until a message arrives or the deadline passes.
  void wait_for_work(const NextWork& next) {
    // A batch that yielded holds the flag: senders must post again, or nothing would wake us.
    release_yield();
    DWORD flags = MWMO_INPUTAVAILABLE;
    for (;;) {
      DWORD count = 0;
      DWORD timeout = INFINITE;
      if (next.deadline) {
        const Clock::time_point now = Clock::now();
        if (*next.deadline <= now) return;
        if (wait_timer_.arm(*next.deadline, now)) {
          count = 1;
        } else {
          timeout = static_cast<DWORD>(
              native_timeout<std::chrono::milliseconds>(*next.deadline, now).count());
        }
      }
      HANDLE handles[1] = {wait_timer_.handle()};
      const DWORD result = MsgWaitForMultipleObjectsEx(count, handles, timeout, QS_ALLINPUT, flags);
      if (result != WAIT_OBJECT_0 + count) return;  // the deadline (or a failure)
      // A message is available, unless it is input for a thread attached to ours: then wait
      // for new messages only, or this would spin (Chromium's WaitForWork does the same).
      if (sent_message_waiting()) return;
      MSG msg;
      if (PeekMessageW(&msg, nullptr, 0, 0, PM_NOREMOVE)) return;
      flags = 0;
    }
  }

  // Before a batch for a foreign pump, once our wake message (or the yield timer standing in
  // for it) was taken out of the queue with the flag set: keep the flag while the host has
  // messages waiting, and come back through the yield timer after them.
  void yield_or_clear_wake_flag() noexcept {
    if (host_messages_waiting() && arm_yield_timer()) return;
    clear_wake_flag();
  }

  void run_batch_for_foreign_pump() {
    const WorkReport report = delegate_.do_work();
    if (!attached()) return;  // a callback called the last deinit()
    request_next_batch(report.next);
  }

  // After a batch for a foreign pump: makes sure that pump comes back for what is due.
  // Immediate work asked for our message during the batch already (unless the flag was held),
  // and future deadlines are the core's (arm_deadline); a due deadline left over (the budget
  // ran out) needs our message.
  void request_next_batch(const NextWork& next) noexcept {
    if (!is_due(next)) {
      release_yield();
      return;
    }
    if (host_messages_waiting()) {
      hold_for_yield();
      return;
    }
    release_yield();
    if (!wake()) hold_for_yield();  // a full queue: a timer needs no room in it
  }

  // Sets the flag and arms the yield timer, unless our message is already queued.
  void hold_for_yield() noexcept {
    if (yield_armed_ || wake_scheduled_.exchange(true)) return;
    if (!arm_yield_timer()) clear_wake_flag();
  }

  // The flag is set: the yield timer stands in for our wake message.
  bool arm_yield_timer() noexcept {
    yield_armed_ = SetTimer(window_.hwnd(), kYieldTimer, USER_TIMER_MINIMUM, nullptr) != 0;
    return yield_armed_;
  }

  // Ends a hold of the flag. Senders that found it set queued work without posting: look
  // again, and post for them.
  void release_yield() noexcept {
    if (!yield_armed_) return;
    KillTimer(window_.hwnd(), kYieldTimer);
    yield_armed_ = false;
    clear_wake_flag();
    if (delegate_.next_work().immediate) wake();
  }

  void clear_wake_flag() noexcept {
    wake_scheduled_.store(false);
    // Pairs with the sender's exchange: either it sees false and posts, or we see its work.
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }

  BackendDelegate& delegate_;
  const DWORD thread_;
  MessageWindow window_;
  WaitTimer wait_timer_;
  std::atomic<bool> wake_scheduled_{false};  // any thread
  bool deadline_armed_ = false;              // kDeadlineTimer is set
  bool yield_armed_ = false;                 // kYieldTimer is set, and holds the flag
  std::optional<int> held_quit_;             // a WM_QUIT's exit code, held (see QuitHold)
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
