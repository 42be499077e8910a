// The conformance suite's host for host-driven mode: what a CLAP posix-fd host does. It
// watches poll_fd() with poll() and no timeout of its own (posix-fd-support gives the host
// none), and calls dispatch() when it is readable; timers must make the descriptor readable
// by themselves.
#include <poll.h>

#include "test_support.hpp"

namespace runloop::test {

void host_iterate(bool may_block) {
  const RunLoop loop = RunLoop::current();
  pollfd fd{loop.poll_fd(), POLLIN, 0};
  if (::poll(&fd, 1, may_block ? -1 : 0) > 0) loop.dispatch();
}

const char* backend_name() {
  return "host-driven";
}

}  // namespace runloop::test
