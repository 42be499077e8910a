#include "backends/fd/alarm.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <system_error>

#include "core/time_math.hpp"

namespace runloop::detail {
namespace {

void report(const char* what, int error) {
  std::fprintf(stderr, "runloop: %s: %s\n", what,
               std::error_code(error, std::generic_category()).message().c_str());
}

}  // namespace

bool Alarm::start(Fire fire, void* target) {
  fire_ = fire;
  target_ = target;
  // Blocking on purpose: the thread sleeps in read() until the armed deadline passes.
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  if (timer_fd_ < 0) {
    report("timerfd_create", errno);
    return false;
  }
  try {
    thread_ = std::thread([this] { loop(); });
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "runloop: cannot start the host-driven alarm thread: %s\n", e.what());
    close(timer_fd_);
    timer_fd_ = -1;
    return false;
  }
  return true;
}

void Alarm::loop() noexcept {
  for (;;) {
    std::uint64_t expirations = 0;
    const ssize_t got = read(timer_fd_, &expirations, sizeof expirations);
    if (quit_.load(std::memory_order_acquire)) return;
    if (got == static_cast<ssize_t>(sizeof expirations)) {
      fire_(target_);
    } else if (got < 0 && errno != EINTR && errno != EAGAIN) {
      report("reading the alarm's timerfd; timers no longer make poll_fd() readable", errno);
      return;
    }
  }
}

bool Alarm::set(std::optional<Clock::time_point> deadline) noexcept {
  itimerspec spec{};  // all zero: disarm
  if (deadline) {
    // Absolute on the timerfd's clock, capped like every native timeout (the early firing
    // finds nothing due and the core announces the deadline again). An all-zero it_value
    // would disarm instead of firing at once.
    const auto now = Clock::now();
    const auto wait = native_timeout<std::chrono::nanoseconds>(*deadline, now);
    const std::int64_t ns = std::max<std::int64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>((now + wait).time_since_epoch())
            .count(),
        1);
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  }
  if (timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    report("timerfd_settime", errno);
    return false;
  }
  return true;
}

void Alarm::arm(std::optional<Clock::time_point> deadline) noexcept {
  // No deduplication here: the core announces a deadline only when it changes, and after a
  // firing the same deadline must be armed again.
  if (timer_fd_ >= 0) set(deadline);
}

void Alarm::stop() noexcept {
  if (timer_fd_ < 0) return;
  if (thread_.joinable()) {
    quit_.store(true, std::memory_order_release);
    // Fire now: the thread's read() returns and it sees quit_.
    set(Clock::time_point{});
    thread_.join();
  }
  close(timer_fd_);
  timer_fd_ = -1;
}

}  // namespace runloop::detail
