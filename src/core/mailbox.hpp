#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include "runloop/detail/callback.hpp"

namespace runloop::detail {

class Backend;
class LoopCore;

// The cross-thread inbox of one loop lifetime, shared by every Sender (intrusive count).
// A post wakes the loop only when the inbox goes from empty to non-empty, so a burst of
// posts costs one native wake-up. The wake is issued under the lock: close() takes the same
// lock, so no sender can touch the backend after the loop has shut down (libuv's "busy"
// count solves the same problem).
class Mailbox {
 public:
  Mailbox(LoopCore* core, Backend* waker) noexcept;

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept;

  bool on_loop_thread() const noexcept { return std::this_thread::get_id() == loop_thread_; }

  // Any thread. On the loop thread the callback goes straight to the loop's own queue.
  // Returns false once closed; the callback is then destroyed by the caller's scope.
  bool post(Callback& callback);

  // Loop thread: moves everything posted so far to the end of `out`.
  template <class Queue>
  void drain_into(Queue& out) {
    if (!has_items_.load(std::memory_order_acquire)) return;
    {
      std::lock_guard lock(mutex_);
      spare_.swap(items_);
      has_items_.store(false, std::memory_order_relaxed);
    }
    for (Callback& callback : spare_) out.push_back(std::move(callback));
    spare_.clear();
  }
  bool has_items() const noexcept { return has_items_.load(std::memory_order_acquire); }

  // Loop thread, at shutdown: refuses further posts; returns what was still queued.
  std::vector<Callback> close() noexcept;
  bool closed_on_loop_thread() const noexcept { return core_ == nullptr; }

 private:
  std::atomic<std::size_t> refs_{1};
  const std::thread::id loop_thread_;
  LoopCore* core_;  // loop thread only; null once closed
  std::mutex mutex_;
  bool closed_ = false;       // under mutex_
  bool wake_failed_ = false;  // under mutex_: the last wake() could not be queued
  Backend* waker_;            // under mutex_; null once closed
  std::vector<Callback> items_;
  std::vector<Callback> spare_;  // loop thread: keeps its capacity between batches
  std::atomic<bool> has_items_{false};
};

}  // namespace runloop::detail
