#include "runloop/handle.hpp"

#include "core/lifecycle.hpp"

namespace runloop {

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    cancel();
    token_ = other.token_;
    other.token_ = {};
  }
  return *this;
}

namespace {

#if defined(_MSC_VER) && !defined(__clang__)
#define RUNLOOP_NOINLINE __declspec(noinline)
#else
#define RUNLOOP_NOINLINE __attribute__((noinline))
#endif

// Off the loop thread the heap is not ours to touch: the loop thread cancels. Kept out of
// cancel_pending(), whose loop-thread path is then a plain call without this frame.
RUNLOOP_NOINLINE void cancel_on_loop_thread(detail::TimerToken token) noexcept {
  detail::Mailbox* mailbox = detail::acquire_mailbox(token.epoch);
  if (mailbox == nullptr) return;  // that loop is gone, and its timers with it
  try {
    detail::Callback cancel_on_loop = [token] {
      if (detail::LoopCore* core = detail::current_core(token.epoch)) core->cancel(token);
    };
    mailbox->post(cancel_on_loop);
  } catch (...) {
    // Out of memory while queueing: the timer fires, which is the lesser harm.
  }
  mailbox->release();
}

}  // namespace

void Handle::cancel_pending() noexcept {
  const detail::TimerToken token = token_;
  token_ = {};
  if (detail::LoopCore* core = detail::current_core(token.epoch)) {
    core->cancel(token);
  } else {
    cancel_on_loop_thread(token);
  }
}

Handle::operator bool() const noexcept {
  if (token_.epoch == 0) return false;
  if (detail::LoopCore* core = detail::current_core(token_.epoch)) {
    return core->is_pending(token_);
  }
  // Off the loop thread the heap is not ours to look at: pending as far as we can tell while
  // its loop lives. A handle of a loop that is gone is never pending.
  return detail::live_epoch() == token_.epoch;
}

}  // namespace runloop
