#pragma once

// A minimal coroutine type that is not runloop::Task, as users' own code has them: it starts
// at once, keeps its frame after it finished (so a test can look at it), and is destroyed
// by its owner. Nothing in it knows about runloop.
#include <atomic>
#include <coroutine>
#include <exception>
#include <utility>

namespace runloop::test {

class Coro {
 public:
  struct promise_type {
    std::exception_ptr exception;
    Coro get_return_object() noexcept {
      return Coro(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { exception = std::current_exception(); }
  };

  Coro() noexcept = default;
  explicit Coro(std::coroutine_handle<promise_type> frame) noexcept : frame_(frame) {}
  Coro(Coro&& other) noexcept : frame_(std::exchange(other.frame_, {})) {}
  Coro& operator=(Coro&& other) noexcept {
    std::swap(frame_, other.frame_);
    return *this;
  }
  ~Coro() {
    if (frame_) frame_.destroy();
  }

  bool done() const noexcept { return frame_ && frame_.done(); }
  std::exception_ptr exception() const noexcept { return frame_.promise().exception; }

 private:
  std::coroutine_handle<promise_type> frame_;
};

// Lets a test wait on another thread for a coroutine step without a data race.
struct Flag {
  std::atomic<bool> value{false};
  void set() noexcept { value.store(true, std::memory_order_release); }
  bool get() const noexcept { return value.load(std::memory_order_acquire); }
};

}  // namespace runloop::test
