// The host of the host-driven suites: what a CLAP posix-fd host does. Its main loop polls the
// plugin's poll_fd() together with descriptors of its own, with no timeout from the plugin
// (posix-fd-support gives the host none: timers must make the descriptor readable by
// themselves), and calls dispatch() when the plugin's descriptor is readable.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "host_drive.hpp"
#include "runloop/host_driven.hpp"

namespace runloop::test {
namespace {

// The host's own descriptors. Made before main(), so that no test sees them appear.
class HostFds {
 public:
  HostFds() {
    if (pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) std::abort();
  }
  HostFds(const HostFds&) = delete;
  HostFds& operator=(const HostFds&) = delete;
  ~HostFds() {
    close(wake_[0]);
    close(wake_[1]);
  }

  int wake_read() const { return wake_[0]; }
  void wake() const {
    const char byte = 1;
    while (write(wake_[1], &byte, 1) < 0 && errno == EINTR) {
    }
  }
  void drain_wake() const {
    char bytes[64];
    while (read(wake_[0], bytes, sizeof bytes) > 0) {
    }
  }

  // HostActivity: descriptors that are always readable, counted on each iteration.
  void add(int fd, int* runs) {
    std::lock_guard lock(mutex_);
    activities_.push_back({fd, runs});
  }
  void remove(int fd) {
    std::lock_guard lock(mutex_);
    std::erase_if(activities_, [fd](const Activity& a) { return a.fd == fd; });
  }
  struct Activity {
    int fd;
    int* runs;
  };
  std::vector<Activity> activities() const {
    std::lock_guard lock(mutex_);
    return activities_;
  }

 private:
  int wake_[2] = {-1, -1};
  mutable std::mutex mutex_;
  std::vector<Activity> activities_;
};

HostFds host_fds;

}  // namespace

void host_iterate(bool may_block) {
  const RunLoop loop = RunLoop::current();
  const std::vector<HostFds::Activity> activities = host_fds.activities();
  std::vector<pollfd> fds = {{loop.poll_fd(), POLLIN, 0}, {host_fds.wake_read(), POLLIN, 0}};
  for (const HostFds::Activity& activity : activities) fds.push_back({activity.fd, POLLIN, 0});
  if (::poll(fds.data(), fds.size(), may_block ? -1 : 0) <= 0) return;
  if ((fds[1].revents & POLLIN) != 0) host_fds.drain_wake();
  for (std::size_t i = 0; i < activities.size(); ++i) {
    if ((fds[i + 2].revents & POLLIN) != 0) ++*activities[i].runs;
  }
  if ((fds[0].revents & POLLIN) != 0) loop.dispatch();
}

std::function<void()> host_waker() {
  return [] { host_fds.wake(); };
}

const char* backend_name() {
  return "host-driven";
}

// A poll() host may poll again from inside a callback of ours (a modal dialog): dispatch()
// is re-entrant like the core's batches.
bool host_loop_is_reentrant() {
  return true;
}

// The host's own fd: a pipe that always has a byte in it, so it is ready on every poll.
struct HostActivity::Impl {
  int fds[2] = {-1, -1};
  int runs = 0;
};

HostActivity::HostActivity() : impl_(new Impl) {
  if (pipe2(impl_->fds, O_CLOEXEC | O_NONBLOCK) != 0) std::abort();
  const char byte = 1;
  if (write(impl_->fds[1], &byte, 1) != 1) std::abort();
  host_fds.add(impl_->fds[0], &impl_->runs);
}

HostActivity::~HostActivity() {
  host_fds.remove(impl_->fds[0]);
  close(impl_->fds[0]);
  close(impl_->fds[1]);
}

int HostActivity::runs() const {
  return impl_->runs;
}

}  // namespace runloop::test
