#include "host_drive.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace runloop::test {
namespace {

// Wakes the host's blocked iteration once, when `timeout` has passed. A thread of its own,
// so that nothing of the loop under test (no timer of ours, no native source) is involved.
class HostAlarm {
 public:
  explicit HostAlarm(std::chrono::nanoseconds timeout)
      : wake_(host_waker()), thread_([this, timeout] { ring_after(timeout); }) {}
  HostAlarm(const HostAlarm&) = delete;
  HostAlarm& operator=(const HostAlarm&) = delete;
  ~HostAlarm() {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    changed_.notify_one();
    thread_.join();
  }
  bool rang() const { return rang_.load(std::memory_order_acquire); }

 private:
  void ring_after(std::chrono::nanoseconds timeout) {
    std::unique_lock lock(mutex_);
    if (changed_.wait_for(lock, timeout, [this] { return cancelled_; })) return;
    rang_.store(true, std::memory_order_release);
    wake_();
  }

  std::function<void()> wake_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool cancelled_ = false;
  std::atomic<bool> rang_{false};
  std::thread thread_;  // last: starts once everything above exists
};

// Loop thread only (tests drive one loop thread at a time).
int drive_depth = 0;

class DriveScope {
 public:
  DriveScope() { ++drive_depth; }
  ~DriveScope() { --drive_depth; }
  DriveScope(const DriveScope&) = delete;
  DriveScope& operator=(const DriveScope&) = delete;
};

}  // namespace

bool driving() {
  return drive_depth > 0;
}

bool drive_until(const std::function<bool()>& done, std::chrono::nanoseconds timeout) {
  if (done()) return true;
  DriveScope scope;
  HostAlarm alarm(timeout);
  while (!done() && !alarm.rang()) host_iterate(true);
  return done();
}

void drive_for(std::chrono::nanoseconds duration) {
  DriveScope scope;
  HostAlarm alarm(duration);
  while (!alarm.rang()) host_iterate(true);
}

}  // namespace runloop::test
