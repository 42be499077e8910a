#pragma once

#include <cstdint>

#include "runloop/export.hpp"

namespace runloop {

namespace detail {
// Identifies one scheduled timer of one loop lifetime (epoch). Epoch 0 means "none".
struct TimerToken {
  std::uint64_t epoch = 0;
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
};
}  // namespace detail

// Owns one scheduled callback. Destroying it cancels the callback (destroyed unrun).
// Belongs to the loop thread; cancelling elsewhere hands the cancellation to the loop
// thread. Outliving deinit() is harmless.
class RUNLOOP_API Handle {
 public:
  Handle() noexcept = default;
  explicit Handle(detail::TimerToken token) noexcept : token_(token) {}
  Handle(Handle&& other) noexcept : token_(other.token_) { other.token_ = {}; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { cancel(); }

  // Idempotent; safe from inside the callback itself; a no-op after it fired.
  void cancel() noexcept {
    if (token_.epoch != 0)
      cancel_pending();  // an empty handle (moved from, detached) costs no call
  }
  // Lets the callback fire later without this handle.
  void detach() noexcept { token_ = {}; }
  // True while the callback is still pending. Exact on the loop thread; on another thread
  // it only says whether this handle was cancelled or detached.
  explicit operator bool() const noexcept;

 private:
  void cancel_pending() noexcept;

  detail::TimerToken token_;
};

}  // namespace runloop
