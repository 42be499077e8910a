#pragma once

#include <coroutine>
#include <exception>
#include <stdexcept>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <variant>

#include "runloop/detail/task_root.hpp"

namespace runloop {

template <class T = void>
class Task;

namespace detail {

class TaskPromiseBase;

// Awaitables that resume their task through its TaskRoot (always on the loop thread).
struct LoopAwaitable {};

// The promise types of runloop::Task. Our awaitables take a fast path for them and a
// generic one for every other coroutine type.
template <class P>
inline constexpr bool kIsTaskPromise = std::is_base_of_v<TaskPromiseBase, P>;

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

// What every co_await inside a runloop::Task becomes (the promise's await_transform):
// - Once the task's abort was requested while it ran (by itself, or by a deinit() it
//   called), every co_await suspends without touching what it awaits, and the task ends
//   there: it never runs on after its loop is gone, whatever it catches.
// - An awaitable that is not ours is handed a hop handle instead of the task's frame, so
//   that whichever thread completes it, the task resumes on the loop thread.
// It holds the awaiter by reference when the awaitable is its own awaiter: the operand of
// co_await lives until the end of the full expression, across the suspension.
template <class A>
class TaskAwait {
  using Awaiter = decltype(get_awaiter(std::declval<A&&>()));
  static constexpr bool kOurs = std::is_base_of_v<LoopAwaitable, std::remove_cvref_t<Awaiter>>;

 public:
  TaskAwait(TaskRoot* root, A&& awaitable)
      : root_(root), awaiter_(get_awaiter(std::forward<A>(awaitable))) {}

  bool await_ready() { return !root_->abort_requested() && awaiter_.await_ready(); }

  template <class P>
  auto await_suspend(std::coroutine_handle<P> frame) {
    if constexpr (kOurs) {
      return suspend(frame);
    } else {
      return suspend(frame, root_);
    }
  }

  decltype(auto) await_resume() { return awaiter_.await_resume(); }

 private:
  // Ours: handed the task's frame.
  template <class P>
  auto suspend(std::coroutine_handle<P> frame) {
    using R = decltype(awaiter_.await_suspend(frame));
    const bool ending = root_->abort_requested();
    if constexpr (std::is_void_v<R>) {
      if (!ending) awaiter_.await_suspend(frame);
    } else if constexpr (std::is_same_v<R, bool>) {
      return ending || awaiter_.await_suspend(frame);
    } else {
      if (ending) return idle_handle();
      return std::coroutine_handle<>(awaiter_.await_suspend(frame));
    }
  }

  // Not ours: handed a hop.
  template <class P>
  auto suspend(std::coroutine_handle<P> frame, TaskRoot* root) {
    using R = decltype(awaiter_.await_suspend(std::coroutine_handle<>()));
    const bool ending = root->abort_requested();
    if constexpr (std::is_void_v<R>) {
      if (!ending) awaiter_.await_suspend(make_loop_hop(root, frame));
    } else if constexpr (std::is_same_v<R, bool>) {
      if (ending) return true;
      std::coroutine_handle<> hop = make_loop_hop(root, frame);
      if (!awaiter_.await_suspend(hop)) {
        hop.destroy();  // resumed at once, on this thread: the hop is not needed
        return false;
      }
      return true;
    } else {
      if (ending) return idle_handle();
      return std::coroutine_handle<>(awaiter_.await_suspend(make_loop_hop(root, frame)));
    }
  }

  TaskRoot* root_;
  Awaiter awaiter_;
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
  TaskAwait<A> await_transform(A&& awaitable) {
    return TaskAwait<A>(root, std::forward<A>(awaitable));
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
  bool await_ready() const noexcept { return !child_; }  // empty: await_resume says so
  // Starts the child; suspends the awaiting frame only if the child suspended.
  template <class P>
  bool await_suspend(std::coroutine_handle<P> frame) {
    static_assert(kIsTaskPromise<P>,
                  "a runloop::Task can only be awaited inside a runloop::Task; from another "
                  "coroutine type, spawn it and co_await its JoinHandle");
    auto& child = child_.promise();
    child.root = frame.promise().root;
    child.continuation = frame;
    child.start = TaskPromiseBase::Start::Inline;
    child_.resume();
    if (child.start == TaskPromiseBase::Start::CompletedInline) return false;
    child.start = TaskPromiseBase::Start::Suspended;
    return true;
  }
  T await_resume() {
    if (!child_) throw std::invalid_argument("runloop: co_await of an empty Task");
    return child_.promise().take_result();
  }

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

namespace this_task {

// co_await runloop::this_task::stop_token() inside a runloop::Task: the token that
// JoinHandle::request_stop() (and abort()) sets. Does not suspend.
class [[nodiscard]] StopTokenAwaiter : public detail::LoopAwaitable {
 public:
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> frame) {
    static_assert(detail::kIsTaskPromise<P>,
                  "this_task::stop_token() can only be awaited inside a runloop::Task");
    token_ = frame.promise().root->stop_token();
    return false;
  }
  std::stop_token await_resume() noexcept { return std::move(token_); }

 private:
  std::stop_token token_;
};

inline StopTokenAwaiter stop_token() noexcept {
  return {};
}

}  // namespace this_task

}  // namespace runloop
