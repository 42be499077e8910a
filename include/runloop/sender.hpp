#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "runloop/detail/callback.hpp"
#include "runloop/detail/completion.hpp"
#include "runloop/error.hpp"
#include "runloop/export.hpp"

namespace runloop {

namespace detail {
class Mailbox;
struct LoopAccess;
}  // namespace detail

// Posts work to the run loop thread from any thread. Copyable and thread-safe.
class RUNLOOP_API Sender {
 public:
  Sender() noexcept = default;
  explicit Sender(detail::Mailbox* mailbox) noexcept;  // adopts one reference
  Sender(const Sender& other) noexcept;
  Sender(Sender&& other) noexcept : mailbox_(other.mailbox_) { other.mailbox_ = nullptr; }
  Sender& operator=(const Sender& other) noexcept;
  Sender& operator=(Sender&& other) noexcept;
  ~Sender();

  // Queues `f` to run on the loop thread and returns at once (never runs it inline).
  // Returns false, destroying `f` on this thread, once the loop is gone.
  template <class F>
  bool send(F&& f) const {
    return send_callback(detail::Callback(std::forward<F>(f)));
  }
  bool send_callback(detail::Callback callback) const;

  // Runs `f` on the loop thread and waits for it; inline when called on the loop thread.
  // Rethrows what `f` throws; throws RunLoopError(NotInitialized) if the loop is or goes away.
  template <class F>
  detail::SendResult<F> send_and_wait(F&& f) const;

  // True when the calling thread is this sender's run loop thread.
  bool is_same_thread() const noexcept;

 private:
  friend struct detail::LoopAccess;  // resume_on() queues through the mailbox
  detail::Mailbox* mailbox_ = nullptr;
};

template <class F>
detail::SendResult<F> Sender::send_and_wait(F&& f) const {
  using R = detail::SendResult<F>;
  if (is_same_thread()) return std::invoke(f);
  auto completion = std::shared_ptr<detail::Completion<R>>(new detail::Completion<R>());
  // The guard reports "abandoned" if the loop destroys the callable without running it.
  bool sent = send([guard = detail::CompletionGuard<R>(completion),
                    fn = std::decay_t<F>(std::forward<F>(f))]() mutable { guard.run(fn); });
  if (!sent) throw RunLoopError(Error::NotInitialized);
  return completion->wait();
}

}  // namespace runloop
