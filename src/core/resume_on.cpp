#include "runloop/resume_on.hpp"

#include "core/lifecycle.hpp"
#include "core/mailbox.hpp"

namespace runloop::detail {

// The private parts of RunLoop and Sender that resume_on needs.
struct LoopAccess {
  static std::uint64_t epoch(const RunLoop& loop) noexcept { return loop.epoch_; }
  static Mailbox* mailbox(const Sender& sender) noexcept { return sender.mailbox_; }
};

Sender sender_of(const RunLoop& loop) {
  return Sender(acquire_mailbox(LoopAccess::epoch(loop)));  // null (closed) if it is gone
}

bool same_loop(const Sender& a, const Sender& b) noexcept {
  return LoopAccess::mailbox(a) == LoopAccess::mailbox(b);
}

bool post_keeping(const Sender& target, Callback& callback) noexcept {
  Mailbox* mailbox = LoopAccess::mailbox(target);
  try {
    return mailbox != nullptr && mailbox->post(callback);
  } catch (...) {
    return false;  // out of memory: the queues' push_back left `callback` where it was
  }
}

}  // namespace runloop::detail
