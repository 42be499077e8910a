#pragma once

#include <coroutine>

#include "runloop/detail/callback.hpp"
#include "runloop/detail/task_root.hpp"
#include "runloop/error.hpp"
#include "runloop/export.hpp"
#include "runloop/run_loop.hpp"
#include "runloop/sender.hpp"
#include "runloop/task.hpp"

namespace runloop {

namespace detail {

// Any thread: the Sender of `loop`'s lifetime (closed if that loop is gone).
RUNLOOP_API Sender sender_of(const RunLoop& loop);
// Whether two senders post to the same loop lifetime.
RUNLOOP_API bool same_loop(const Sender& a, const Sender& b) noexcept;
// Any thread: queues `callback` on the loop of `target`. Unlike Sender::send, a failure
// (the loop is gone, or out of memory) leaves `callback` untouched, so its owner decides
// what destroying it means.
RUNLOOP_API bool post_keeping(const Sender& target, Callback& callback) noexcept;

// co_await resume_on(...): see below.
class [[nodiscard]] ResumeOnAwaiter : public LoopAwaitable {
 public:
  explicit ResumeOnAwaiter(Sender target) noexcept : target_(std::move(target)) {}
  // Not movable: a queued resumption points at it.
  ResumeOnAwaiter(const ResumeOnAwaiter&) = delete;
  ResumeOnAwaiter& operator=(const ResumeOnAwaiter&) = delete;
  ~ResumeOnAwaiter() = default;

  bool await_ready() const noexcept { return false; }  // never inline, even on the loop thread

  template <class P>
  bool await_suspend(std::coroutine_handle<P> frame) {
    if constexpr (kIsTaskPromise<P>) {
      // A task resumes only through its root, which knows whether it was aborted meanwhile.
      Callback resume = [root = RootRef(frame.promise().root), frame] { root->resume(frame); };
      if (post_keeping(target_, resume)) return true;
    } else {
      Callback resume = ForeignResume(frame, &failed_);
      if (post_keeping(target_, resume)) return true;  // `this` may be gone already
      failed_ = true;  // disarms the unsent ForeignResume before it is destroyed here
    }
    failed_ = true;
    return false;  // await_resume throws, on this thread
  }

  void await_resume() const {
    if (failed_) throw RunLoopError(Error::NotInitialized);
  }

 private:
  Sender target_;
  bool failed_ = false;
};

}  // namespace detail

// `co_await runloop::resume_on(loop_or_sender)`: from any coroutine type, on any thread,
// continues on that loop's thread, on a later pass of the loop (never inline, also when
// awaited on the loop thread itself).
//
// If the loop is gone, await_resume throws RunLoopError(NotInitialized) on the awaiting
// thread; the coroutine is never resumed on the wrong thread. If the loop shuts down while
// the resumption is queued, the coroutine is resumed during the shutdown, on the loop
// thread, and await_resume throws RunLoopError(NotInitialized) there: it is never leaked.
// Inside a runloop::Task the shutdown aborts the task instead (its frame is destroyed).
// As with any awaitable that has handed its handle on, a coroutine suspended here must not
// be destroyed before it resumes (a runloop::Task may be aborted: its root handles that).
inline detail::ResumeOnAwaiter resume_on(const RunLoop& loop) {
  return detail::ResumeOnAwaiter(detail::sender_of(loop));
}
inline detail::ResumeOnAwaiter resume_on(Sender sender) noexcept {
  return detail::ResumeOnAwaiter(std::move(sender));
}

}  // namespace runloop
