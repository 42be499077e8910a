// How tasks and other coroutines get (re)started on the loop thread: the first resumption
// of a spawned task, timers that resume, the hop handle given to foreign awaitables, and
// block_on's driving scope.
#include <exception>
#include <optional>
#include <utility>

#include "core/exceptions.hpp"
#include "core/lifecycle.hpp"
#include "core/task_registry.hpp"
#include "runloop/detail/task_root.hpp"
#include "runloop/join_handle.hpp"

namespace runloop::detail {

bool start_task(std::uint64_t epoch, TaskRoot* root, std::coroutine_handle<> frame) {
  LoopCore& core = require_core(epoch);
  root->epoch_ = epoch;
  if (core.shut_down()) {
    root->abort_unstarted();
    return false;
  }
  root->frame_ = frame;
  core.tasks().add(root);
  if (!root->post_resume(frame)) root->abort_on_loop_thread();
  return true;
}

Result<Handle, Error> schedule_resume(std::uint64_t epoch,
                                      std::chrono::steady_clock::time_point deadline,
                                      TaskRoot* root, std::coroutine_handle<> frame) {
  LoopCore* core = current_core(epoch);
  if (core == nullptr) return Unexpected(*loop_thread_error(epoch));
  return Handle(core->schedule_at(deadline, [ref = RootRef(root), frame] { ref->resume(frame); }));
}

void resume_guarded(std::coroutine_handle<> frame) noexcept {
  try {
    frame.resume();
  } catch (...) {
    report_exception(std::current_exception());  // a promise that rethrows
  }
}

std::optional<Error> loop_thread_error(std::uint64_t epoch) noexcept {
  if (current_core(epoch) != nullptr) return {};
  // That loop lives, but on another thread; or it is gone.
  return live_epoch() == epoch ? Error::NotRunLoopThread : Error::NotInitialized;
}

Result<Handle, Error> schedule_foreign_resume(std::uint64_t epoch,
                                              std::chrono::steady_clock::time_point deadline,
                                              std::coroutine_handle<> frame, bool* dropped) {
  LoopCore* core = current_core(epoch);
  if (core == nullptr) return Unexpected(*loop_thread_error(epoch));
  // Shutting down: the timer would be destroyed at once, resuming `frame` from inside
  // the caller's await_suspend. Refuse instead, before anything is armed.
  if (core->shut_down()) return Unexpected(Error::NotInitialized);
  // Disarmed until it is safely in the heap: if scheduling throws (out of memory), the
  // callback destroyed on the way out must not resume `frame` from inside await_suspend.
  *dropped = true;
  Handle timer(core->schedule_at(deadline, ForeignResume(frame, dropped)));
  *dropped = false;
  return timer;
}

namespace {

// A minimal coroutine type for the two internal frames below. `FinalSuspend` decides who
// frees the frame: suspend_never frees it when it finishes, suspend_always leaves it to us.
template <class FinalSuspend>
struct BareCoroutine {
  struct promise_type {
    BareCoroutine get_return_object() noexcept {
      return BareCoroutine{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    FinalSuspend final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
  std::coroutine_handle<promise_type> frame;
};

// Runs one step when resumed, then frees itself.
using Hop = BareCoroutine<std::suspend_never>;
// Resumed, it suspends again at once, forever.
using Idle = BareCoroutine<std::suspend_always>;

// Holds a reference to the task, not to its frame: resumed after the task was aborted (its
// producer completed late), it finds the task ended, does nothing and frees itself.
Hop hop_to_loop(RootRef root, std::coroutine_handle<> frame) {
  root->post_resume(frame);
  co_return;
}

Idle idle_forever() {
  for (;;) co_await std::suspend_always{};
}

struct IdleFrame {
  std::coroutine_handle<> frame = idle_forever().frame;
  ~IdleFrame() { frame.destroy(); }
};

}  // namespace

std::coroutine_handle<> make_loop_hop(TaskRoot* root, std::coroutine_handle<> frame) {
  return hop_to_loop(RootRef(root), frame).frame;
}

std::coroutine_handle<> idle_handle() noexcept {
  static IdleFrame idle;
  return idle.frame;
}

BlockOnScope::BlockOnScope(std::uint64_t epoch) {
  LoopCore& core = require_core(epoch);
  if (core.block_on_active()) throw RunLoopError(Error::NestedBlockOn);
  core.add_ref();
  core.set_block_on_active(true);
  core_ = &core;
}

BlockOnScope::~BlockOnScope() {
  auto* core = static_cast<LoopCore*>(core_);
  core->set_block_on_active(false);
  core->release();
}

void BlockOnScope::poll() {
  auto* core = static_cast<LoopCore*>(core_);
  core->poll_once();  // throws RunLoopError(NotInitialized) once the loop is gone
}

}  // namespace runloop::detail
