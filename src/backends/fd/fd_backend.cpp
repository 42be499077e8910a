// Host-driven backend: the loop is driven through one pipe that the host watches.
//
// Primer, and the traps this file is shaped by:
// - Hosts differ in what they accept and how they call: CLAP posix-fd-support gives the host
//   a descriptor and nothing else (no timeout); VST3's IRunLoop (Ardour's on GLib) does not
//   work with an eventfd; REAPER calls the fd handler on every iteration, readable or not.
//   So the descriptor is the read end of a pipe, level-triggered, and dispatch() is cheap
//   and harmless when nothing is ready.
// - Readable exactly while something is ready: wake() and wake_from_loop_thread() write one
//   byte (raised_ makes it at most one per clear); a timer due makes it readable through the
//   Alarm thread, which sleeps on a timerfd armed for the earliest deadline.
// - A batch ends by setting the pipe: work left behind (the budget ran out in a flood) keeps
//   it readable, without a system call, as it is raised already; otherwise it is read empty,
//   raised_ cleared, and the core asked again, since a wake-up that came after the batch
//   looked found raised_ set and wrote nothing (the exchange synchronises with the waker's).
//   Before, every batch read the pipe first and a busy one wrote it again: two system calls
//   per 256 callbacks of a flood, which made a host-driven cross-thread send cost 2x GLib
//   mode's (bench row 8a).
// - The read happens on every batch that leaves nothing, even after a spurious dispatch():
//   a raise can land its byte after an earlier clear's exchange, and skipping the read
//   while raised_ is false would leave the pipe readable for good (a host busy-looping on
//   it). One non-blocking read is the price.
// - The core is the only place that orders work; this file keeps no queue and no timer.
// - The core's contract (backends/backend.hpp): the alarm is armed only when the core
//   announces a deadline (arm_deadline), and once it has fired the next batch tells the core
//   (native_timer_fired) so that the deadline is announced again if still pending.
// - poll_once() (the core's run() and block_on()) waits on the pipe with poll() and the
//   timeout from next_work(), then runs one batch: nested runs and block_on work without the
//   host.
// - In native mode (init()) the same pipe is offered on the first poll_fd(): the native
//   backend keeps running its batches, which pass through do_work() here to keep the pipe in
//   step, and the host may dispatch too; whichever comes first runs the work.
#include "backends/fd/fd_backend.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "core/time_math.hpp"

namespace runloop::detail {
namespace {

bool is_due(std::optional<Clock::time_point> deadline) {
  return deadline && *deadline <= Clock::now();
}

bool is_ready(const NextWork& next) {
  return next.immediate || is_due(next.deadline);
}

}  // namespace

bool FdBackend::open(bool in_step) {
  if (active()) return true;
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    std::fprintf(stderr, "runloop: pipe2: %s\n",
                 std::error_code(errno, std::generic_category()).message().c_str());
    return false;
  }
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  if (!alarm_.start(&FdBackend::fire, this)) {
    close(read_fd_);
    close(write_fd_);
    read_fd_ = write_fd_ = -1;
    return false;
  }
  // Publishes the descriptors. An RMW, paired with the one in wake(): a sender whose RMW
  // came first (and saw us inactive) left its work where the next_work() below sees it.
  active_.exchange(1, std::memory_order_acq_rel);
  if (in_step) {
    if (delegate_.next_work().immediate) raise();
    signal_deadline(announced_);
  }
  return true;
}

bool FdBackend::active() const noexcept {
  return active_.load(std::memory_order_acquire) != 0;
}

int FdBackend::poll_fd() {
  if (!attached_ || !open(true)) return -1;
  return read_fd_;
}

std::optional<std::chrono::milliseconds> FdBackend::poll_timeout() const {
  const NextWork next = delegate_.next_work();
  if (next.immediate) return std::chrono::milliseconds(0);
  if (!next.deadline) return {};
  return native_timeout<std::chrono::milliseconds>(*next.deadline, Clock::now());
}

void FdBackend::dispatch() {
  if (attached_) do_work();
}

// Every batch, the host's (dispatch()), our own (poll_once()) or the native loop's, leaves
// the pipe readable while anything is still ready, and empty otherwise. A batch that leaves
// work behind (a flood spans many) touches the pipe not at all: it is readable already.
WorkReport FdBackend::do_work() {
  const bool signalling = active();
  if (signalling && alarm_fired_.exchange(false, std::memory_order_acq_rel)) {
    delegate_.native_timer_fired();
  }
  WorkReport report = delegate_.do_work();
  // A callback may have called the last deinit(): then the pipe is gone. (The core keeps a
  // wake-up requested for work left over; this also covers timers the budget left due.)
  if (!signalling || !attached_) return report;
  if (is_ready(report.next)) {
    raise();  // no system call unless a spurious dispatch() found it unraised
    return report;
  }
  // Emptied even when not raised: a raise can land its byte after the exchange of an
  // earlier clear(), and a pipe left readable would keep the host busy for nothing.
  clear();
  // A wake-up that found the pipe raised after the batch looked wrote nothing: look again.
  // (clear()'s exchange synchronises with that waker's, so its post is visible here.)
  if (is_ready(delegate_.next_work())) raise();
  return report;
}

void FdBackend::clear() noexcept {
  char bytes[64];
  while (read(read_fd_, bytes, sizeof bytes) < 0 && errno == EINTR) {
  }
  raised_.exchange(false, std::memory_order_acq_rel);
}

bool FdBackend::raise() noexcept {
  if (raised_.exchange(true, std::memory_order_acq_rel)) return true;
  const char byte = 1;
  for (;;) {
    if (write(write_fd_, &byte, 1) >= 0) return true;
    if (errno == EINTR) continue;
    return errno == EAGAIN;  // a full pipe is readable anyway
  }
}

void FdBackend::fire(void* self) noexcept {
  auto* backend = static_cast<FdBackend*>(self);
  backend->alarm_fired_.store(true, std::memory_order_release);
  backend->raise();
}

// The pipe's share of an announced deadline: readable now if it is due, else the alarm.
void FdBackend::signal_deadline(std::optional<Clock::time_point> deadline) noexcept {
  if (is_due(deadline)) {
    alarm_.arm({});
    alarm_fired_.store(true, std::memory_order_relaxed);  // as if it fired: re-announce
    raise();
  } else {
    alarm_.arm(deadline);
  }
}

bool FdBackend::wake() noexcept {
  const bool woken = inner_ == nullptr || inner_->wake();
  // Native mode before the first poll_fd(): an RMW, paired with the exchange in open() (a
  // fence would do, but TSan does not support fences).
  if (!active() && active_.fetch_add(0, std::memory_order_acq_rel) == 0) return woken;
  const bool raised = raise();
  return inner_ != nullptr ? woken : raised;
}

void FdBackend::wake_from_loop_thread() noexcept {
  if (inner_) inner_->wake_from_loop_thread();
  if (active()) raise();
}

void FdBackend::arm_deadline(std::optional<Clock::time_point> deadline) noexcept {
  if (inner_) inner_->arm_deadline(deadline);
  announced_ = deadline;
  if (active()) signal_deadline(deadline);
}

// One iteration of our own (host-driven mode): sleep on the pipe while nothing is ready, at
// most until the next deadline (rounded up), then one batch.
void FdBackend::poll_once(bool may_block) {
  if (inner_) {
    inner_->poll_once(may_block);
    return;
  }
  if (!attached_) return;
  const NextWork next = delegate_.next_work();
  if (may_block && !next.immediate && !is_due(next.deadline)) {
    const int timeout =
        next.deadline
            ? static_cast<int>(
                  native_timeout<std::chrono::milliseconds>(*next.deadline, Clock::now()).count())
            : -1;
    pollfd fd{read_fd_, POLLIN, 0};
    ::poll(&fd, 1, timeout);  // EINTR or a timeout: the batch below finds what is due
  }
  do_work();
}

void FdBackend::detach() noexcept {
  if (!attached_) return;
  attached_ = false;
  if (inner_) inner_->detach();
  // The alarm thread writes the pipe: it goes first.
  alarm_.stop();
  active_.store(0, std::memory_order_relaxed);
  if (read_fd_ >= 0) close(read_fd_);
  if (write_fd_ >= 0) close(write_fd_);
  read_fd_ = write_fd_ = -1;
}

}  // namespace runloop::detail
