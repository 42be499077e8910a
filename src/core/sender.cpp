#include "runloop/sender.hpp"

#include <utility>

#include "core/mailbox.hpp"

namespace runloop {

Sender::Sender(detail::Mailbox* mailbox) noexcept : mailbox_(mailbox) {}

Sender::Sender(const Sender& other) noexcept : mailbox_(other.mailbox_) {
  if (mailbox_ != nullptr) mailbox_->add_ref();
}

Sender& Sender::operator=(const Sender& other) noexcept {
  Sender copy(other);
  std::swap(mailbox_, copy.mailbox_);
  return *this;
}

Sender& Sender::operator=(Sender&& other) noexcept {
  if (this != &other) {
    if (mailbox_ != nullptr) mailbox_->release();
    mailbox_ = other.mailbox_;
    other.mailbox_ = nullptr;
  }
  return *this;
}

Sender::~Sender() {
  if (mailbox_ != nullptr) mailbox_->release();
}

bool Sender::send_callback(detail::Callback callback) const {
  // On failure `callback` is destroyed when this frame ends: on the calling thread.
  return mailbox_ != nullptr && mailbox_->post(callback);
}

bool Sender::is_same_thread() const noexcept {
  // closed_on_loop_thread() may only be asked on the loop thread: hence the order.
  return mailbox_ != nullptr && mailbox_->on_loop_thread() && !mailbox_->closed_on_loop_thread();
}

}  // namespace runloop
