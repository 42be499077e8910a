#include "core/backend_stack.hpp"

#include "core/watchdog.hpp"

#if defined(RUNLOOP_HOST_DRIVEN_BACKEND)
#include "backends/fd/fd_backend.hpp"
#endif

namespace runloop::detail {

Result<BackendStack, Error> BackendStack::create(BackendDelegate& core, LoopMode mode) {
  BackendStack stack;
  stack.watchdog_ = new Watchdog(core, mode == LoopMode::host_driven);
  stack.top_.reset(stack.watchdog_);
#if defined(RUNLOOP_HOST_DRIVEN_BACKEND)
  std::unique_ptr<FdBackend> fd(new FdBackend(*stack.watchdog_));
  if (mode == LoopMode::host_driven) {
    if (!fd->open(false)) return Unexpected(Error::PlatformFailure);
  } else {
    auto native = create_backend(*fd);
    if (!native) return Unexpected(native.error());
    fd->set_inner(std::move(*native));
  }
  stack.surface_ = fd.get();
  stack.watchdog_->set_inner(std::move(fd));
#else
  if (mode == LoopMode::host_driven) return Unexpected(Error::PlatformFailure);
  auto native = create_backend(*stack.watchdog_);
  if (!native) return Unexpected(native.error());
  stack.watchdog_->set_inner(std::move(*native));
#endif
  return stack;
}

void BackendStack::start(const Mailbox& mailbox) {
  watchdog_->start(mailbox);
}

std::unique_ptr<Backend> BackendStack::take_top() noexcept {
  return std::move(top_);
}

}  // namespace runloop::detail
