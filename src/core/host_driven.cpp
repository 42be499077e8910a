// The driving surface of RunLoop (Linux and Android builds), in either mode.
#include "backends/fd/fd_backend.hpp"
#include "core/lifecycle.hpp"
#include "runloop/run_loop.hpp"

namespace runloop {

int RunLoop::poll_fd() const {
  const int fd = detail::require_core(epoch_).surface()->poll_fd();
  if (fd < 0) throw RunLoopError(Error::PlatformFailure);  // no pipe or thread to be had
  return fd;
}

std::optional<std::chrono::milliseconds> RunLoop::poll_timeout() const {
  return detail::require_core(epoch_).surface()->poll_timeout();
}

void RunLoop::dispatch() const {
  // A callback may call the last deinit(): the core (and the backend in it) must outlive
  // the batch.
  detail::CoreRef core(&detail::require_core(epoch_));
  core->surface()->dispatch();
}

}  // namespace runloop
