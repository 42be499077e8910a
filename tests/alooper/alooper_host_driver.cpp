#include <android/looper.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include "host_drive.hpp"

namespace runloop::test {

// What a host does: the Java Looper's MessageQueue.next() calls pollOnce on the thread's
// looper, waiting (-1) or not (0).
void host_iterate(bool may_block) {
  ALooper_pollOnce(may_block ? -1 : 0, nullptr, nullptr, nullptr);
}

std::function<void()> host_waker() {
  ALooper* looper = ALooper_forThread();
  ALooper_acquire(looper);
  std::shared_ptr<ALooper> shared(looper, &ALooper_release);
  return [shared] { ALooper_wake(shared.get()); };
}

const char* backend_name() {
  return "alooper";
}

bool host_loop_is_reentrant() {
  return false;
}

// The host's own fd: a pipe that always has a byte in it, so it is ready on every poll.
struct HostActivity::Impl {
  ALooper* looper = nullptr;
  int fds[2] = {-1, -1};
  int runs = 0;
};

HostActivity::HostActivity() : impl_(new Impl) {
  impl_->looper = ALooper_forThread();
  ALooper_acquire(impl_->looper);
  if (pipe2(impl_->fds, O_CLOEXEC | O_NONBLOCK) != 0) std::abort();
  const char byte = 1;
  if (write(impl_->fds[1], &byte, 1) != 1) std::abort();
  ALooper_addFd(
      impl_->looper, impl_->fds[0], 0, ALOOPER_EVENT_INPUT,
      [](int, int, void* data) -> int {
        ++*static_cast<int*>(data);
        return 1;
      },
      &impl_->runs);
}

HostActivity::~HostActivity() {
  ALooper_removeFd(impl_->looper, impl_->fds[0]);
  close(impl_->fds[0]);
  close(impl_->fds[1]);
  ALooper_release(impl_->looper);
}

int HostActivity::runs() const {
  return impl_->runs;
}

}  // namespace runloop::test
