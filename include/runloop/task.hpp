#pragma once

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

#include "runloop/detail/task_root.hpp"

namespace runloop {

template <class T = void>
class Task;

namespace detail {

// Awaitables that resume their task through its TaskRoot (always on the loop thread).
struct LoopAwaitable {};

template <class A>
decltype(auto) get_awaiter(A&& awaitable) {
  if constexpr (requires { std::forward<A>(awaitable).operator co_await(); }) {
    return std::forward<A>(awaitable).operator co_await();
  } else if constexpr (requires { operator co_await(std::forward<A>(awaitable)); }) {
    return operator co_await(std::forward<A>(awaitable));
  } else {
    return std::forward<A>(awaitable);
  }
}

// Wraps an awaitable that is not ours: it is handed a hop handle instead of the task's
// frame, so that whichever thread completes it, the task resumes on the loop thread.
template <class A>
class ForeignAwaiter : public LoopAwaitable {
 public:
  explicit ForeignAwaiter(A&& awaitable)
      : awaitable_(std::forward<A>(awaitable)), awaiter_(get_awaiter(awaitable_)) {}

  bool await_ready() { return awaiter_.await_ready(); }

  template <class P>
  auto await_suspend(std::coroutine_handle<P> frame) {
    std::coroutine_handle<> hop = make_loop_hop(frame.promise().root, frame);
    using R = decltype(awaiter_.await_suspend(hop));
    if constexpr (std::is_void_v<R>) {
      awaiter_.await_suspend(hop);
    } else if constexpr (std::is_same_v<R, bool>) {
      if (!awaiter_.await_suspend(hop)) {
        hop.destroy();  // resumed at once, on this thread: the hop is not needed
        return false;
      }
      return true;
    } else {
      return std::coroutine_handle<>(awaiter_.await_suspend(hop));
    }
  }

  decltype(auto) await_resume() { return awaiter_.await_resume(); }

 private:
  A awaitable_;  // a reference for lvalues, the object itself for temporaries
  std::remove_cvref_t<decltype(get_awaiter(std::declval<A&>()))> awaiter_;
};

class TaskPromiseBase {
 public:
  TaskRoot* root = nullptr;              // the spawned task this frame belongs to
  std::coroutine_handle<> continuation;  // the awaiting frame; null for the root frame

  // How the awaiting frame learns that this one finished before it had to suspend.
  enum class Start : unsigned char { Inline, CompletedInline, Suspended };
  Start start = Start::Suspended;

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> frame) noexcept {
      TaskPromiseBase& promise = frame.promise();
      if (!promise.continuation) {
        promise.root->mark_frame_done();
        return idle_handle();
      }
      if (promise.start == Start::Inline) {
        // Finished inside the awaiter's await_suspend: return to it, which then continues
        // without suspending. The stack stays flat at any optimisation level, whereas
        // symmetric transfer is a real tail call only when the compiler optimises.
        promise.start = Start::CompletedInline;
        return idle_handle();
      }
      return promise.continuation;
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }

  template <class A>
  decltype(auto) await_transform(A&& awaitable) {
    using Awaiter = std::remove_cvref_t<decltype(get_awaiter(std::declval<A>()))>;
    if constexpr (std::is_base_of_v<LoopAwaitable, Awaiter>) {
      return std::forward<A>(awaitable);
    } else {
      return ForeignAwaiter<A>(std::forward<A>(awaitable));
    }
  }
};

template <class T>
class TaskPromise : public TaskPromiseBase {
 public:
  Task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& value) {
    result_.template emplace<1>(std::forward<U>(value));
  }
  void unhandled_exception() noexcept { result_.template emplace<2>(std::current_exception()); }

  bool failed() const noexcept { return result_.index() == 2; }
  std::exception_ptr exception() const noexcept { return *std::get_if<2>(&result_); }
  T take_result() {
    if (failed()) std::rethrow_exception(exception());
    return std::move(*std::get_if<1>(&result_));
  }

 private:
  std::variant<std::monostate, T, std::exception_ptr> result_;
};

template <>
class TaskPromise<void> : public TaskPromiseBase {
 public:
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  bool failed() const noexcept { return exception_ != nullptr; }
  std::exception_ptr exception() const noexcept { return exception_; }
  void take_result() {
    if (exception_) std::rethrow_exception(exception_);
  }

 private:
  std::exception_ptr exception_;
};

template <class T>
class TaskAwaiter : public LoopAwaitable {
 public:
  explicit TaskAwaiter(std::coroutine_handle<TaskPromise<T>> child) noexcept : child_(child) {}
  bool await_ready() const noexcept { return false; }
  // Starts the child; suspends the awaiting frame only if the child suspended.
  template <class P>
  bool await_suspend(std::coroutine_handle<P> frame) {
    auto& child = child_.promise();
    child.root = frame.promise().root;
    child.continuation = frame;
    child.start = TaskPromiseBase::Start::Inline;
    child_.resume();
    if (child.start == TaskPromiseBase::Start::CompletedInline) return false;
    child.start = TaskPromiseBase::Start::Suspended;
    return true;
  }
  T await_resume() { return child_.promise().take_result(); }

 private:
  std::coroutine_handle<TaskPromise<T>> child_;
};

}  // namespace detail

// A lazy coroutine: nothing runs until it is awaited, spawned or passed to block_on.
// co_await-ing a task starts it; if it finishes without suspending the awaiter simply
// continues, and otherwise the awaiter is resumed by symmetric transfer when it finishes,
// so long loops of synchronous co_awaits do not grow the stack.
template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using value_type = T;

  Task() noexcept = default;
  explicit Task(std::coroutine_handle<promise_type> frame) noexcept : frame_(frame) {}
  Task(Task&& other) noexcept : frame_(std::exchange(other.frame_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      frame_ = std::exchange(other.frame_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  explicit operator bool() const noexcept { return static_cast<bool>(frame_); }

  detail::TaskAwaiter<T> operator co_await() && noexcept { return detail::TaskAwaiter<T>(frame_); }
  detail::TaskAwaiter<T> operator co_await() & noexcept { return detail::TaskAwaiter<T>(frame_); }

  // Gives up ownership of the frame (spawn).
  std::coroutine_handle<promise_type> release() noexcept { return std::exchange(frame_, {}); }
  std::coroutine_handle<promise_type> frame() const noexcept { return frame_; }

 private:
  void reset() noexcept {
    if (frame_) std::exchange(frame_, {}).destroy();
  }
  std::coroutine_handle<promise_type> frame_;
};

namespace detail {
template <class T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<TaskPromise<T>>::from_promise(*this));
}
inline Task<void> TaskPromise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<TaskPromise<void>>::from_promise(*this));
}
}  // namespace detail

}  // namespace runloop
