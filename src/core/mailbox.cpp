#include "core/mailbox.hpp"

#include "backends/backend.hpp"
#include "core/loop_core.hpp"

namespace runloop::detail {

Mailbox::Mailbox(LoopCore* core, Backend* waker) noexcept
    : loop_thread_(std::this_thread::get_id()), core_(core), waker_(waker) {}

void Mailbox::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

bool Mailbox::post(Callback& callback) {
  if (on_loop_thread()) {
    // No lock on the loop thread: the loop's own queue, which only this thread touches.
    return core_ != nullptr && core_->post_local(callback);
  }
  std::lock_guard lock(mutex_);
  if (closed_) return false;
  items_.push_back(std::move(callback));
  // A wake-up that could not be queued (a full Win32 message queue) is retried by every
  // later post until one gets through, or the loop would sleep on a non-empty inbox.
  if (items_.size() == 1 || wake_failed_) {
    has_items_.store(true, std::memory_order_release);
    wake_failed_ = !waker_->wake();
  }
  return true;
}

std::vector<Callback> Mailbox::close() noexcept {
  core_ = nullptr;
  std::lock_guard lock(mutex_);
  closed_ = true;
  waker_ = nullptr;
  has_items_.store(false, std::memory_order_relaxed);
  return std::move(items_);
}

}  // namespace runloop::detail
