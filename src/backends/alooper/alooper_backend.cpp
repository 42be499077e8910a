// ALooper backend (Android): one eventfd and one timerfd per loop, added to the thread's
// ALooper with ALooper_addFd.
//
// Primer, and the traps this file is shaped by:
// - The host (Java's Looper / MessageQueue, or a NativeActivity loop) calls ALooper_pollOnce;
//   it runs the callbacks of ready fds, then returns. We attach to the thread's looper
//   (ALooper_forThread(), else ALooper_prepare(0): a looper we prepared stays with the
//   thread, as every prepared looper does) and hold an ALooper_acquire reference.
// - Level-triggered (epoll without EPOLLET): a callback that leaves its fd readable is
//   called again on the next poll, so each callback drains its fd (one read resets an
//   eventfd's counter and a timerfd's expiry count; EAGAIN is fine). An fd is drained before
//   do_work(), never after, or a wake written during the batch would be lost.
// - Cross-thread wake-up: write 1 to the non-blocking eventfd (the core calls wake() at most
//   once per batch). wake_from_loop_thread() writes it too: the looper never asks us before
//   it sleeps, so work posted on the loop thread needs the same signal (and the core keeps
//   it written while work is left after a batch, so the host's fds get their turn first).
// - Timers: the timerfd is armed for the deadline the core announces (arm_deadline), with
//   an absolute CLOCK_MONOTONIC time (steady_clock is CLOCK_MONOTONIC on Linux and Android),
//   rounded up. A one-shot timerfd disarms itself when it fires: native_timer_fired().
// - android::Looper (behind every ALooper_*) is NOT re-entrant: a pollOnce() from inside a
//   looper callback clears the response vector the outer pollOnce() is iterating; the
//   outer call then uses a dangling reference and may call a cleared callback (a crash,
//   reproduced against libutils in the tests). So run() and poll_once() call
//   ALooper_pollOnce only when none of our callbacks is on the stack; nested inside one
//   (a modal run(), block_on), they poll our own two fds directly. The host's other fds wait
//   until the nested loop returns, as they would behind any long callback. Calling run()
//   from inside a foreign looper callback re-enters the looper and is unsafe on Android
//   itself; nothing here can detect it.
// - ALooper_removeFd does not stop a callback that is already due in the current round:
//   "it is possible for the callback to run one last time". When deinit() runs inside a
//   callback, the other fd's callback may still come with our old `data`. So `data` is not
//   a pointer to us but a registration token, checked against the module's one live
//   backend (each module has one loop at a time) before anything is touched; a stale call
//   returns 1 (already unregistered; 0 would make older loopers remove the fd *number*,
//   which may belong to someone else by then).
// - Return 0 from a callback on HANGUP/ERROR: the looper unregisters the fd for us.
// - poll_once() is one ALooper_pollOnce: the core's run() loops on it until its level is
//   stopped. Never ALooper_pollAll: it may ignore wakes (ALooper_wake).
// - A looper prepared with ALOOPER_PREPARE_ALLOW_NON_CALLBACKS returns the ident of a
//   foreign callback-less fd from pollOnce; that fd is not ours to drain, so run() cannot
//   make progress past it (a host with such fds drives its looper itself).
// - Old x86 Android could call callbacks with a misaligned stack (crbug.com/873588):
//   the trampolines realign it there.
#include <android/looper.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <system_error>

#if defined(__ANDROID__)
#include <android/log.h>
#endif

#include "backends/backend.hpp"
#include "core/exceptions.hpp"
#include "core/time_math.hpp"

namespace runloop::detail {
namespace {

#if defined(__i386__)
#define RUNLOOP_LOOPER_CALLBACK __attribute__((force_align_arg_pointer))
#else
#define RUNLOOP_LOOPER_CALLBACK
#endif

class AlooperBackend;
using Token = std::uintptr_t;  // 0 = none

// Module-wide registry of the live backend (plain constant-initialised statics, never
// thread-local storage): a token identifies one registration, so a stale callback after
// ALooper_removeFd never reaches a backend that is gone, nor a newer one on another thread.
// A backend is only detached and destroyed on its own loop thread, which is the thread its
// callbacks run on, so a matching token stays valid for the whole callback.
std::atomic<Token> live_token{0};
std::atomic<AlooperBackend*> live_backend{nullptr};
std::atomic<Token> last_token{0};

// One line to logcat (stderr goes nowhere in an app) or stderr; `error` is an errno or 0.
void report(const char* what, int error) {
  // error_code's message is thread-safe, unlike strerror().
  const std::string message =
      error != 0 ? std::error_code(error, std::generic_category()).message() : "failed";
  const char* why = message.c_str();
#if defined(__ANDROID__)
  __android_log_print(ANDROID_LOG_ERROR, "runloop", "%s: %s", what, why);
#else
  std::fprintf(stderr, "runloop: %s: %s\n", what, why);
#endif
}

// Empties a non-blocking eventfd or timerfd: one read resets its counter.
void drain(int fd) {
  std::uint64_t value = 0;
  while (read(fd, &value, sizeof value) < 0 && errno == EINTR) {
  }
}

RUNLOOP_LOOPER_CALLBACK int on_wake_fd(int fd, int events, void* data);
RUNLOOP_LOOPER_CALLBACK int on_timer_fd(int fd, int events, void* data);

class AlooperBackend final : public Backend {
 public:
  explicit AlooperBackend(BackendDelegate& delegate) : delegate_(delegate) {}

  ~AlooperBackend() override { detach(); }

  // Creates the fds and registers them; false (after reporting why) if anything fails.
  bool attach() {
    looper_ = ALooper_forThread();
    if (looper_ == nullptr) looper_ = ALooper_prepare(0);
    if (looper_ == nullptr) return fail("ALooper_prepare", 0);
    ALooper_acquire(looper_);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) return fail("eventfd", errno);
    timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer_fd_ < 0) return fail("timerfd_create", errno);

    token_ = last_token.fetch_add(1, std::memory_order_relaxed) + 1;
    if (token_ == 0) token_ = last_token.fetch_add(1, std::memory_order_relaxed) + 1;
    live_backend.store(this, std::memory_order_relaxed);
    live_token.store(token_, std::memory_order_release);

    // The callback data is a token, not a pointer (see live_token).
    void* data = reinterpret_cast<void*>(token_);  // NOLINT(performance-no-int-to-ptr)
    wake_registered_ =
        ALooper_addFd(looper_, wake_fd_, 0, ALOOPER_EVENT_INPUT, on_wake_fd, data) == 1;
    if (!wake_registered_) return fail("ALooper_addFd(eventfd)", 0);
    timer_registered_ =
        ALooper_addFd(looper_, timer_fd_, 0, ALOOPER_EVENT_INPUT, on_timer_fd, data) == 1;
    if (!timer_registered_) return fail("ALooper_addFd(timerfd)", 0);
    return true;
  }

  bool wake() noexcept override { return signal(); }
  void wake_from_loop_thread() noexcept override { signal(); }
  void arm_deadline(std::optional<Clock::time_point> deadline) noexcept override {
    if (looper_ != nullptr) arm_timer(deadline);
  }

  void poll_once(bool may_block) override {
    if (looper_ == nullptr) return;
    if (callback_depth_ == 0) {
      ALooper_pollOnce(may_block ? -1 : 0, nullptr, nullptr, nullptr);
    } else {
      poll_own_fds(may_block);
    }
  }

  bool attached() const noexcept override { return looper_ != nullptr; }

  void detach() noexcept override {
    if (looper_ == nullptr) return;
    if (live_token.load(std::memory_order_relaxed) == token_) {
      live_token.store(0, std::memory_order_release);
      live_backend.store(nullptr, std::memory_order_relaxed);
    }
    // Unregister before closing: a closed fd number may be reused at once, and the looper
    // would keep our request (and callback) for whoever gets that number.
    if (wake_registered_) ALooper_removeFd(looper_, wake_fd_);
    if (timer_registered_) ALooper_removeFd(looper_, timer_fd_);
    wake_registered_ = timer_registered_ = false;
    if (wake_fd_ >= 0) close(wake_fd_);
    if (timer_fd_ >= 0) close(timer_fd_);
    wake_fd_ = timer_fd_ = -1;
    ALooper_release(looper_);
    looper_ = nullptr;
  }

  // A looper callback for one of our fds.
  int on_event(bool timer, int events) {
    if ((events & (ALOOPER_EVENT_HANGUP | ALOOPER_EVENT_ERROR)) != 0) {
      // Returning 0 has the looper unregister the fd; without it we cannot be woken.
      (timer ? timer_registered_ : wake_registered_) = false;
      report(timer ? "timerfd hung up; timers no longer wake the loop"
                   : "eventfd hung up; sends no longer wake the loop",
             0);
      return 0;
    }
    DelegateScope scope(delegate_);  // a callback may call the last deinit()
    if (timer) {
      drain(timer_fd_);
      delegate_.native_timer_fired();
    } else {
      drain(wake_fd_);
    }
    ++callback_depth_;
    dispatch();
    --callback_depth_;
    return 1;
  }

 private:
  // Nested inside one of our callbacks: the looper must not be re-entered (see the primer).
  void poll_own_fds(bool may_block) {
    if (delegate_.next_work().immediate) {
      drain(wake_fd_);
      dispatch();
      return;
    }
    pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {timer_fd_, POLLIN, 0}};
    if (::poll(fds, 2, may_block ? -1 : 0) <= 0) return;  // timeout or EINTR: caller loops
    const bool woken = (fds[0].revents & POLLIN) != 0;
    const bool timer_fired = (fds[1].revents & POLLIN) != 0;
    if (woken) drain(wake_fd_);
    if (timer_fired) {
      drain(timer_fd_);
      delegate_.native_timer_fired();
    }
    if (woken || timer_fired) dispatch();
  }

  void dispatch() noexcept {
    try {
      delegate_.do_work();
    } catch (...) {
      // User code is guarded by the core; only an allocation failure gets here. Nothing may
      // unwind into the looper's frames.
      report_exception(std::current_exception());
    }
  }

  bool signal() noexcept {
    const std::uint64_t one = 1;
    for (;;) {
      if (write(wake_fd_, &one, sizeof one) >= 0) return true;
      if (errno == EINTR) continue;
      return errno == EAGAIN;  // the counter is saturated: the fd is readable anyway
    }
  }

  void arm_timer(std::optional<Clock::time_point> deadline) noexcept {
    itimerspec spec{};  // all zero: disarm
    if (deadline) {
      // An absolute time on the timerfd's clock, capped like every native timeout.
      const auto now = Clock::now();
      const auto wait = native_timeout<std::chrono::nanoseconds>(*deadline, now);
      // An all-zero it_value would disarm instead of firing at once.
      const std::int64_t ns = std::max<std::int64_t>((now + wait).time_since_epoch().count(), 1);
      spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
      spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    }
    if (timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
      report("timerfd_settime", errno);
    }
  }

  bool fail(const char* what, int error) {
    report(what, error);
    return false;
  }

  BackendDelegate& delegate_;
  ALooper* looper_ = nullptr;
  int wake_fd_ = -1;
  int timer_fd_ = -1;
  bool wake_registered_ = false;
  bool timer_registered_ = false;
  Token token_ = 0;
  int callback_depth_ = 0;  // our looper callbacks on the stack
};

// The live backend for a callback's token, or null for a stale call.
AlooperBackend* backend_for(void* data) {
  const auto token = reinterpret_cast<Token>(data);
  if (token == 0 || live_token.load(std::memory_order_acquire) != token) return nullptr;
  return live_backend.load(std::memory_order_relaxed);
}

RUNLOOP_LOOPER_CALLBACK int on_wake_fd(int, int events, void* data) {
  AlooperBackend* backend = backend_for(data);
  return backend != nullptr ? backend->on_event(false, events) : 1;
}

RUNLOOP_LOOPER_CALLBACK int on_timer_fd(int, int events, void* data) {
  AlooperBackend* backend = backend_for(data);
  return backend != nullptr ? backend->on_event(true, events) : 1;
}

}  // namespace

Result<std::unique_ptr<Backend>, Error> create_backend(BackendDelegate& delegate) {
  std::unique_ptr<AlooperBackend> backend(new AlooperBackend(delegate));
  if (!backend->attach()) return Unexpected(Error::PlatformFailure);  // ~ undoes the rest
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace runloop::detail
