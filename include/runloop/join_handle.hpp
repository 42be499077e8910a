#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

#include "runloop/detail/task_root.hpp"
#include "runloop/result.hpp"
#include "runloop/task.hpp"

namespace runloop {

// Why a task produced no value: it was aborted, or an exception escaped it (the seed's
// "panic").
class JoinError {
 public:
  static JoinError aborted() noexcept { return JoinError(nullptr); }
  static JoinError panic(std::exception_ptr exception) noexcept {
    return JoinError(std::move(exception));
  }

  bool is_aborted() const noexcept { return exception_ == nullptr; }
  bool is_panic() const noexcept { return exception_ != nullptr; }
  // The exception that escaped the task; null when aborted.
  const std::exception_ptr& exception() const noexcept { return exception_; }

 private:
  explicit JoinError(std::exception_ptr exception) noexcept : exception_(std::move(exception)) {}
  std::exception_ptr exception_;
};

namespace detail {

template <class T>
class TaskState final : public TaskRoot {
 public:
  // Once finished: moves the result out; empty before, and after it was taken.
  std::optional<Result<T, JoinError>> take() noexcept {
    if (!is_finished()) return std::nullopt;
    return std::exchange(result_, std::nullopt);
  }

 protected:
  void store_result(std::coroutine_handle<> frame) noexcept override {
    auto& promise = std::coroutine_handle<TaskPromise<T>>::from_address(frame.address()).promise();
    if (promise.failed()) {
      result_.emplace(Unexpected(JoinError::panic(promise.exception())));
    } else if constexpr (std::is_void_v<T>) {
      result_.emplace();
    } else {
      result_.emplace(promise.take_result());
    }
  }
  void store_aborted() noexcept override { result_.emplace(Unexpected(JoinError::aborted())); }

 private:
  std::optional<Result<T, JoinError>> result_;
};

template <class T>
class JoinAwaiter : public LoopAwaitable {
 public:
  explicit JoinAwaiter(TaskState<T>* state) noexcept : state_(state) {}
  JoinAwaiter(JoinAwaiter&& other) noexcept
      : state_(other.state_), waiting_(std::exchange(other.waiting_, false)) {}
  ~JoinAwaiter() {
    if (waiting_) state_->clear_waiter();  // our task was aborted while waiting
  }
  bool await_ready() const noexcept { return state_ == nullptr || state_->is_finished(); }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> frame) noexcept {
    waiting_ = state_->set_waiter(frame.promise().root, frame);
    return waiting_;
  }
  Result<T, JoinError> await_resume() noexcept {
    waiting_ = false;
    if (state_ == nullptr) return Unexpected(JoinError::aborted());
    auto result = state_->take();
    return result ? std::move(*result) : Result<T, JoinError>(Unexpected(JoinError::aborted()));
  }

 private:
  TaskState<T>* state_;
  bool waiting_ = false;
};

}  // namespace detail

// The handle of a spawned task. Dropping it detaches the task (it keeps running).
template <class T>
class JoinHandle {
 public:
  JoinHandle() noexcept = default;
  explicit JoinHandle(detail::TaskState<T>* state) noexcept : state_(state) {}  // adopts
  JoinHandle(JoinHandle&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  JoinHandle(const JoinHandle&) = delete;
  JoinHandle& operator=(const JoinHandle&) = delete;
  ~JoinHandle() {
    if (state_) state_->release();
  }

  // Any thread; idempotent; a no-op once finished. On the loop thread a suspended task is
  // finished on return; a running one at its next suspension; from another thread, on
  // the loop thread's next pass.
  void abort() noexcept {
    if (state_) state_->abort();
  }
  bool is_finished() const noexcept { return state_ == nullptr || state_->is_finished(); }
  // The result once finished; empty before, and after it was taken.
  std::optional<Result<T, JoinError>> try_take() noexcept {
    return state_ ? state_->take() : std::nullopt;
  }

  // co_await handle -> Result<T, JoinError>, moving the result out.
  detail::JoinAwaiter<T> operator co_await() const noexcept {
    return detail::JoinAwaiter<T>(state_);
  }

 private:
  detail::TaskState<T>* state_ = nullptr;
};

}  // namespace runloop
