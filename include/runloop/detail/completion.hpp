#pragma once

#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "runloop/error.hpp"

namespace runloop::detail {

template <class F>
using SendResult = std::remove_cvref_t<std::invoke_result_t<std::decay_t<F>&>>;

// The rendezvous of Sender::send_and_wait: one thread waits, the loop thread fills it.
template <class R>
class Completion {
 public:
  using Stored = std::conditional_t<std::is_void_v<R>, bool, R>;

  template <class F>
  void run(F& fn) {
    std::exception_ptr error;
    try {
      if constexpr (std::is_void_v<R>) {
        std::invoke(fn);
        return finish(true, nullptr);
      } else {
        return finish(std::invoke(fn), nullptr);
      }
    } catch (...) {
      error = std::current_exception();
    }
    // Published only once the catch block has released its hold on the exception, so the
    // waiting thread is its last owner.
    finish({}, std::move(error));
  }

  void abandon() { finish({}, nullptr); }

  R wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return done_; });
    // Taken out under the lock, so the exception and the value end their lives on this
    // thread whoever drops the last reference to the completion.
    std::exception_ptr error = std::move(error_);
    std::optional<Stored> value = std::move(value_);
    lock.unlock();
    if (error) std::rethrow_exception(error);
    if (!value) throw RunLoopError(Error::NotInitialized);
    if constexpr (!std::is_void_v<R>) return std::move(*value);
  }

 private:
  void finish(std::optional<Stored> value, std::exception_ptr error) {
    {
      std::lock_guard lock(mutex_);
      if (done_) return;
      value_ = std::move(value);
      error_ = std::move(error);
      done_ = true;
    }
    // Notified after unlocking: a waiter woken while the mutex is still held blocks on it
    // again at once (two more context switches per call when both threads share a CPU).
    // Safe: whoever calls finish() holds a reference to this completion.
    cv_.notify_one();
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::optional<Stored> value_;
  std::exception_ptr error_;
};

template <class R>
class CompletionGuard {
 public:
  explicit CompletionGuard(std::shared_ptr<Completion<R>> completion)
      : completion_(std::move(completion)) {}
  CompletionGuard(CompletionGuard&&) noexcept = default;
  CompletionGuard& operator=(CompletionGuard&&) noexcept = default;
  ~CompletionGuard() {
    if (completion_) completion_->abandon();
  }

  template <class F>
  void run(F& fn) {
    auto completion = std::move(completion_);
    completion->run(fn);
  }

 private:
  std::shared_ptr<Completion<R>> completion_;
};

}  // namespace runloop::detail
