#pragma once

// An asio executor for a runloop loop: asio::post, asio::dispatch, asio::bind_executor and
// asio::co_spawn run their completions on the loop thread.
//
// Only for programs that use standalone asio (Debian: libasio-dev; `#include <asio.hpp>`).
// The library itself never depends on asio: this header is the whole adapter.
#if !__has_include(<asio.hpp>)
#error "<runloop/asio.hpp> needs standalone asio (<asio.hpp>, e.g. Debian's libasio-dev)"
#endif

#include <asio.hpp>
#include <memory>
#include <type_traits>
#include <utility>

#include "runloop/resume_on.hpp"
#include "runloop/run_loop.hpp"
#include "runloop/sender.hpp"

namespace runloop {

// The asio execution context that an AsioExecutor reports. A runloop loop is not an asio
// context (it runs no asio services and cannot be run through asio), but asio requires
// every executor to name one: any_io_executor, and asio::strand, which keeps its strand
// service there. This one only holds such services; it runs nothing. It is owned jointly by
// the executors made from one asio_executor() call, and shut down when the last goes.
class AsioLoopContext : public asio::execution_context {};

// Satisfies asio's standard executor requirements (asio::execution::executor): copyable,
// equality-comparable, `execute(f)`, and the queries and requirements any_io_executor
// needs, so it converts to asio::any_io_executor and drives asio::awaitable coroutines.
//
// - execute(f) queues `f` on the loop thread from any thread (Sender::send) and returns
//   at once: blocking.never, the default, also on the loop thread. asio::post uses that.
// - require(blocking.possibly), which asio::dispatch prefers, gives an executor that runs
//   `f` inline when called on the loop thread (and queues it elsewhere), like io_context's.
// - Once the loop is gone, `f` is destroyed unrun on the calling thread, as a Sender does
//   (an io_context that was shut down drops handlers the same way).
// - An exception escaping `f` on the loop thread goes to runloop's exception handler
//   (set_exception_handler), not out of the loop (no io_context::run() to rethrow from).
// - Outstanding-work tracking is not supported (prefer() leaves the executor unchanged):
//   a runloop loop does not stop when it runs out of work, so there is nothing to track.
// - Equality: same loop and same blocking mode; the context is not compared.
class AsioExecutor {
 public:
  AsioExecutor(Sender sender, std::shared_ptr<AsioLoopContext> context,
               bool blocking_possibly = false) noexcept
      : sender_(std::move(sender)),
        context_(std::move(context)),
        blocking_possibly_(blocking_possibly) {}

  template <class F>
  void execute(F&& f) const {
    if (blocking_possibly_ && sender_.is_same_thread()) {
      std::decay_t<F>(std::forward<F>(f))();  // as asio specifies: a decayed copy, invoked
      return;
    }
    sender_.send(std::forward<F>(f));  // false (loop gone): `f` was destroyed unrun
  }

  asio::execution_context& query(asio::execution::context_t) const noexcept { return *context_; }
  asio::execution::blocking_t query(asio::execution::blocking_t) const noexcept {
    if (blocking_possibly_) return asio::execution::blocking.possibly;
    return asio::execution::blocking.never;
  }
  static constexpr asio::execution::relationship_t query(asio::execution::relationship_t) noexcept {
    return asio::execution::relationship.fork;
  }
  static constexpr asio::execution::outstanding_work_t query(
      asio::execution::outstanding_work_t) noexcept {
    return asio::execution::outstanding_work.untracked;
  }

  AsioExecutor require(asio::execution::blocking_t::never_t) const noexcept {
    return AsioExecutor(sender_, context_, false);
  }
  AsioExecutor require(asio::execution::blocking_t::possibly_t) const noexcept {
    return AsioExecutor(sender_, context_, true);
  }

  // The loop this executor runs on, for runloop's own API (e.g. co_await resume_on(...)).
  const Sender& sender() const noexcept { return sender_; }

  friend bool operator==(const AsioExecutor& a, const AsioExecutor& b) noexcept {
    return detail::same_loop(a.sender_, b.sender_) && a.blocking_possibly_ == b.blocking_possibly_;
  }
  friend bool operator!=(const AsioExecutor& a, const AsioExecutor& b) noexcept {
    return !(a == b);
  }

 private:
  Sender sender_;
  std::shared_ptr<AsioLoopContext> context_;
  bool blocking_possibly_;
};

// An executor for `loop` (callable anywhere the RunLoop value is) or for the loop of
// `sender` (any thread). Each call makes a new AsioLoopContext shared by the copies.
inline AsioExecutor asio_executor(Sender sender) {
  // shared_ptr(new): std::make_shared would make GCC emit an STB_GNU_UNIQUE symbol, which
  // keeps a plugin module from being unloaded.
  return AsioExecutor(std::move(sender), std::shared_ptr<AsioLoopContext>(new AsioLoopContext));
}
inline AsioExecutor asio_executor(const RunLoop& loop) {
  return asio_executor(detail::sender_of(loop));
}

}  // namespace runloop
