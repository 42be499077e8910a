#pragma once

// What the plugin test hosts (clap_test_host.hpp, vst3_test_host.hpp and the hosts built on
// them) share: loading a module, iterating the host's own loop until a condition holds or for
// a while, the poll() wait and the timer list of a host whose main loop is poll(), and the
// check that an unloaded module left no descriptor and no thread behind. What a host does
// with a ready descriptor or a due timer is its own: each host's quirks stay in its file.
// Like the hosts, nothing here links runloop or GLib.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

#include "fd_test_util.hpp"

namespace test_host {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Whether the module at `path` is still mapped into this process.
inline bool is_mapped(const char* path) {
  void* handle = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);  // NOLOAD took a reference
  return true;
}

// A plugin module opened as hosts open them: RTLD_NOW | RTLD_LOCAL.
class Library {
 public:
  explicit Library(const char* path) : handle_(dlopen(path, RTLD_NOW | RTLD_LOCAL)) {
    if (handle_ == nullptr) ADD_FAILURE() << "dlopen(" << path << "): " << dlerror();
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
  ~Library() { close(); }

  bool open() const { return handle_ != nullptr; }
  void* handle() const { return handle_; }
  // The export `name` as a T (a function or object pointer), or null when there is none.
  template <class T>
  T symbol(const char* name) const {
    return reinterpret_cast<T>(dlsym(handle_, name));
  }
  void close() {
    if (handle_ != nullptr) dlclose(handle_);
    handle_ = nullptr;
  }

 private:
  void* handle_;
};

// Runs `iterate` (one iteration of a host's loop, which bounds its own wait) until done()
// holds. False when `timeout` passes first.
template <class Iterate>
bool iterate_until(Iterate iterate, const std::function<bool()>& done,
                   std::chrono::seconds timeout = 30s) {
  const auto give_up = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > give_up) return false;
    iterate();
  }
  return true;
}

template <class Iterate>
void iterate_for(Iterate iterate, std::chrono::milliseconds duration) {
  const auto until = Clock::now() + duration;
  while (Clock::now() < until) iterate();
}

// A timer of a poll() host: due at `next`, and then again one period after the iteration
// that served it (not after `next`: a host that was late does not catch up).
struct TimerSchedule {
  std::chrono::milliseconds period;
  Clock::time_point next;

  // Whether it is due at `now`; when it is, its next time is set.
  bool take_due(Clock::time_point now) {
    if (next > now) return false;
    next = now + period;
    return true;
  }
};

// The sleep of one iteration of a poll() host: until a descriptor of `polled` is ready or
// `wake` (the earliest of its timers, or its longest wait) comes. poll() takes whole
// milliseconds: rounded up (rounded down, the host would wake just before a timer is due and
// spin until it is).
inline void poll_until(std::vector<pollfd>& polled, Clock::time_point wake) {
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - Clock::now());
  ::poll(polled.data(), polled.size(), static_cast<int>(std::max<long>(wait.count(), 0)));
}

// The process's descriptors and threads before a test loads anything, to check that every
// module took its own with it.
class Baseline {
 public:
  void take() {
    fds_ = runloop::test::open_fds();
    threads_ = runloop::test::thread_baseline();
  }
  // A module's threads may still be ending after it unloaded: waits (generously) for them.
  void expect_nothing_left() const {
    EXPECT_EQ(runloop::test::open_fds(), fds_);
    const auto give_up = Clock::now() + 30s;
    while (runloop::test::threads() > threads_ && Clock::now() < give_up) {
      std::this_thread::yield();
    }
    EXPECT_LE(runloop::test::threads(), threads_);
  }

 private:
  std::size_t fds_ = 0;
  std::size_t threads_ = 0;
};

}  // namespace test_host
