#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "runloop/detail/callback.hpp"
#include "runloop/detail/delay_awaiter.hpp"
#include "runloop/error.hpp"
#include "runloop/export.hpp"
#include "runloop/handle.hpp"
#include "runloop/join_handle.hpp"
#include "runloop/result.hpp"
#include "runloop/sender.hpp"
#include "runloop/task.hpp"

// Host-driven mode (<runloop/host_driven.hpp>) exists where a host can hand a plugin a file
// descriptor to watch: Linux and Android.
#if defined(__linux__)
#define RUNLOOP_HAS_HOST_DRIVEN 1
#endif

namespace runloop {

class RunLoopGuard;

#if defined(RUNLOOP_HAS_HOST_DRIVEN)
// The tag of RunLoop::init(host_driven): attach to no native loop, the host drives the loop
// through poll_fd() / poll_timeout() / dispatch().
struct HostDriven {
  explicit HostDriven() = default;
};
// NOLINTNEXTLINE(readability-identifier-naming): a tag value, named like std::in_place
inline constexpr HostDriven host_driven{};
#endif

namespace detail {

struct LoopAccess;

template <class F>
using SpawnedTask = std::invoke_result_t<std::decay_t<F>&>;

template <class F>
concept TaskFactory = requires {
  typename SpawnedTask<F>::promise_type;
}
&&std::same_as<SpawnedTask<F>, Task<typename SpawnedTask<F>::value_type>>;

}  // namespace detail

// The run loop of this module on its thread. A RunLoop value names one loop lifetime:
// after the last deinit() its methods throw RunLoopError(NotInitialized).
class RUNLOOP_API RunLoop {
 public:
  using Clock = std::chrono::steady_clock;

  // Marks the calling thread as the run loop thread and attaches to its native loop.
  // Reference counted; pair every success with deinit().
  static Result<void, Error> init();
  // Releases one reference; the last one shuts the loop down. Never throws.
  static void deinit() noexcept;
  // init() + deinit() as RAII; throws RunLoopError when init() fails.
  [[nodiscard]] static RunLoopGuard acquire();
#if defined(RUNLOOP_HAS_HOST_DRIVEN)
  // Like init(), but attached to no native loop: the host drives it (<runloop/host_driven.hpp>).
  // Shares init()'s reference count; asking for the other mode while initialised fails with
  // AlreadyInitialized.
  static Result<void, Error> init(HostDriven);
  [[nodiscard]] static RunLoopGuard acquire(HostDriven);
#endif

  static RunLoop current();
  static Result<RunLoop, Error> try_current() noexcept;
  static bool is_run_loop_thread() noexcept;
  // Callable from any thread once initialised.
  static Sender sender();

  // Drives the native loop until stop(); nests.
  void run() const;
  // Ends the innermost run(); no effect without one.
  void stop() const;
  // Drives the platform's application loop (gtk_main when GTK is in the process).
  void run_app() const;
  void stop_app() const;

  // Runs `callback` on the loop thread no earlier than `delay` from now, never inline.
  // A delay too large for the clock (nanoseconds::max()) is a timer that never fires.
  template <class F>
  [[nodiscard]] Handle schedule(std::chrono::nanoseconds delay, F&& callback) const {
    return schedule_after(delay, detail::Callback(std::forward<F>(callback)));
  }
  [[nodiscard]] Handle schedule_after(std::chrono::nanoseconds delay,
                                      detail::Callback callback) const;
  // Runs `callback` once now() reaches `deadline` (a time point on the loop's clock).
  [[nodiscard]] Handle schedule_at(Clock::time_point deadline, detail::Callback callback) const;

  // The loop's clock: steady_clock, or the frozen clock of a testing::MockTime. Off the loop
  // thread, or without a loop, it is steady_clock.
  static Clock::time_point now() noexcept;
  // now() + `delay`, saturated: a delay too large for the clock gives time_point::max().
  Clock::time_point deadline_after(std::chrono::nanoseconds delay) const;

  // Runs `task` on the loop thread, starting on a later pass (never inline).
  template <class T>
  JoinHandle<T> spawn(Task<T> task) const;
  // Spawns the task `factory()` returns, keeping `factory` (and so a lambda's captures)
  // alive as long as the task runs: the safe way to spawn a capturing lambda.
  template <detail::TaskFactory F>
  auto spawn(F&& factory) const;

  // co_await loop.delay(d) suspends the calling task (or, on the loop thread, a coroutine
  // of any type) for at least `d`.
  detail::DelayAwaiter delay(std::chrono::nanoseconds duration) const {
    return detail::DelayAwaiter(epoch_, deadline_after(duration));
  }

#if defined(RUNLOOP_HAS_HOST_DRIVEN)
  // The driving surface, in either mode (see <runloop/host_driven.hpp>). Loop thread only.
  // A pipe's read end, readable while work is ready or a timer is due (level-triggered); the
  // same descriptor until deinit().
  int poll_fd() const;
  // How long the host may wait before calling dispatch(): 0 = now, rounded up to whole
  // milliseconds (never early); empty = nothing scheduled.
  std::optional<std::chrono::milliseconds> poll_timeout() const;
  // Runs one bounded batch of what is ready. Never blocks; cheap when nothing is ready.
  void dispatch() const;
#endif

  // Drives the loop until `task` finishes; returns its value or rethrows its exception.
  // Other work keeps running meanwhile. Throws RunLoopError(NestedBlockOn) when nested,
  // RunLoopError(NotInitialized) when the loop goes away meanwhile, and
  // std::invalid_argument for an empty (default-constructed or moved-from) task.
  template <class T>
  T block_on(Task<T> task) const;

 private:
  friend class RunLoopGuard;
  friend struct detail::LoopAccess;
  explicit RunLoop(std::uint64_t epoch) noexcept : epoch_(epoch) {}
  std::uint64_t epoch_;
};

// Holds one init() reference; releases it on destruction.
class RUNLOOP_API RunLoopGuard {
 public:
  RunLoopGuard(RunLoopGuard&& other) noexcept : owns_(std::exchange(other.owns_, false)) {}
  RunLoopGuard& operator=(RunLoopGuard&& other) noexcept;
  RunLoopGuard(const RunLoopGuard&) = delete;
  RunLoopGuard& operator=(const RunLoopGuard&) = delete;
  ~RunLoopGuard();

  RunLoop run_loop() const { return RunLoop::current(); }

 private:
  friend class RunLoop;
  RunLoopGuard() noexcept = default;
  bool owns_ = true;
};

template <class T>
JoinHandle<T> RunLoop::spawn(Task<T> task) const {
  auto* state = new detail::TaskState<T>();
  JoinHandle<T> handle(state);
  auto frame = task.frame();
  if (frame) frame.promise().root = state;
  if (!frame) {
    state->abort_unstarted();  // an empty task: its handle says Aborted
  } else if (detail::start_task(epoch_, state, frame)) {
    task.release();  // the task's root now owns the frame
  }
  return handle;
}

template <detail::TaskFactory F>
auto RunLoop::spawn(F&& factory) const {
  using T = typename detail::SpawnedTask<F>::value_type;
  // The factory is a parameter of this coroutine, so it lives in the task's frame.
  auto keep_alive = [](std::decay_t<F> f) -> Task<T> { co_return co_await f(); };
  return spawn(keep_alive(std::forward<F>(factory)));
}

template <class T>
T RunLoop::block_on(Task<T> task) const {
  if (!task) throw std::invalid_argument("runloop: block_on of an empty Task");
  detail::BlockOnScope scope(epoch_);
  JoinHandle<T> handle = spawn(std::move(task));
  while (!handle.is_finished()) scope.poll();
  Result<T, JoinError> result = *handle.try_take();
  if (!result) {
    if (result.error().is_panic()) std::rethrow_exception(result.error().exception());
    // Only shutdown can abort it: nobody else holds its handle.
    throw RunLoopError(Error::NotInitialized);
  }
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

// The free forms use RunLoop::current().
template <class T>
JoinHandle<T> spawn(Task<T> task) {
  return RunLoop::current().spawn(std::move(task));
}
template <detail::TaskFactory F>
auto spawn(F&& factory) {
  return RunLoop::current().spawn(std::forward<F>(factory));
}

}  // namespace runloop
