// Host-driven backend: the loop is driven through one pipe that the host watches.
//
// Primer, and the traps this file is shaped by:
// - Hosts differ in what they accept and how they call: CLAP posix-fd-support gives the host
//   a descriptor and nothing else (no timeout); VST3's IRunLoop (Ardour's on GLib) does not
//   work with an eventfd; REAPER calls the fd handler on every iteration, readable or not.
//   So the descriptor is the read end of a pipe, level-triggered, and dispatch() is cheap
//   and harmless when nothing is ready.
// - Readable exactly while something is ready: wake(), wake_from_loop_thread() and a batch
//   that leaves work behind write one byte (raised_ makes it at most one per clear); a
//   timer due makes it readable through the Alarm thread, which sleeps on a timerfd armed
//   for the earliest deadline. dispatch() reads the pipe empty, clears raised_, then runs
//   the batch: a wake written after the read is seen by the next dispatch, and one whose
//   flag we clear is seen by this batch (the exchange synchronises with the waker).
// - The read happens on every dispatch(), even a spurious one: a raise can land its byte
//   after our exchange, and skipping the read while raised_ is false would leave the
//   pipe readable for good (a host busy-looping on it). One non-blocking read is the price.
// - The core is the only place that orders work; this file keeps no queue and no timer.
// - run() and poll_once() wait on the pipe with poll() and the timeout from next_work(), so
//   nested runs and block_on work without the host. stop() ends the innermost level.
// - In native mode (init()) the same pipe is offered on the first poll_fd(): the native
//   backend keeps running its batches, which pass through do_work() here to keep the pipe in
//   step, and the host may dispatch too; whichever comes first runs the work.
#include "backends/fd/fd_backend.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <system_error>

namespace runloop::detail {
namespace {

int timeout_ms(Clock::time_point deadline) {
  const auto remaining = deadline - Clock::now();
  if (remaining <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(remaining).count();
  return static_cast<int>(ms < INT_MAX ? ms : INT_MAX);
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
  if (in_step) signal_next(delegate_.next_work());
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
  if (!next.deadline) return std::nullopt;
  return std::chrono::milliseconds(timeout_ms(*next.deadline));
}

void FdBackend::dispatch() {
  if (attached_) do_work();
}

// Every batch, the host's (dispatch()), our own (run()) or the native loop's, clears the
// pipe first and leaves it readable if anything is still ready.
NextWork FdBackend::do_work() {
  const bool signalling = active();
  if (signalling) clear();
  const NextWork next = delegate_.do_work();
  // A callback may have called the last deinit(): then the pipe is gone.
  if (signalling && attached_) signal_next(next);
  return next;
}

void FdBackend::clear() noexcept {
  char bytes[64];
  while (read(read_fd_, bytes, sizeof bytes) < 0 && errno == EINTR) {
  }
  raised_.exchange(false, std::memory_order_acq_rel);
}

void FdBackend::raise() noexcept {
  if (raised_.exchange(true, std::memory_order_acq_rel)) return;
  const char byte = 1;
  // EAGAIN cannot happen with at most a few bytes in the pipe; it would be readable anyway.
  while (write(write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
}

void FdBackend::fire(void* self) noexcept {
  static_cast<FdBackend*>(self)->raise();
}

// After a batch, or on activation: readable if work is left or a timer is due, else the
// alarm is armed for the next deadline.
void FdBackend::signal_next(const NextWork& next) noexcept {
  if (next.immediate || (next.deadline && *next.deadline <= Clock::now())) {
    raise();
  } else {
    alarm_.arm(next.deadline);
  }
}

void FdBackend::wake() noexcept {
  if (inner_) inner_->wake();
  // Native mode before the first poll_fd(): an RMW, paired with the exchange in open() (a
  // fence would do, but TSan does not support fences).
  if (!active() && active_.fetch_add(0, std::memory_order_acq_rel) == 0) return;
  raise();
}

void FdBackend::wake_from_loop_thread() noexcept {
  if (inner_) inner_->wake_from_loop_thread();
  if (active()) raise();
}

void FdBackend::deadline_changed(std::optional<Clock::time_point> deadline) noexcept {
  if (inner_) inner_->deadline_changed(deadline);
  if (!active()) return;
  if (deadline && *deadline <= Clock::now()) {
    raise();
  } else {
    alarm_.arm(deadline);  // a later deadline or none (a cancel) too: no stale wake-up
  }
}

void FdBackend::run() {
  if (inner_) {
    inner_->run();
    return;
  }
  bool stopped = false;
  run_levels_.push_back(&stopped);
  while (!stopped && attached_) wait_and_dispatch(true);
  // `this` may be detached now, but lives on: the caller holds a reference to the core.
  run_levels_.pop_back();
}

void FdBackend::stop() noexcept {
  if (inner_) {
    inner_->stop();
    return;
  }
  if (run_levels_.empty()) return;
  *run_levels_.back() = true;
  // stop() runs inside a batch of the level it ends, which returns to check the flag; the
  // byte keeps that true should it ever be reached otherwise (one spurious dispatch at most).
  if (attached_) raise();
}

void FdBackend::run_app() {
  if (inner_) {
    inner_->run_app();
  } else {
    run();
  }
}

void FdBackend::stop_app() noexcept {
  if (inner_) {
    inner_->stop_app();
  } else {
    stop();
  }
}

void FdBackend::poll_once(bool may_block) {
  if (inner_) {
    inner_->poll_once(may_block);
  } else if (attached_) {
    wait_and_dispatch(may_block);
  }
}

// One iteration of our own: sleep on the pipe until it is readable or the next deadline
// (rounded up) has come, then one batch.
void FdBackend::wait_and_dispatch(bool may_block) {
  const NextWork next = delegate_.next_work();
  if (may_block && !next.immediate) {
    const int timeout = next.deadline ? timeout_ms(*next.deadline) : -1;
    if (timeout != 0) {
      pollfd fd{read_fd_, POLLIN, 0};
      ::poll(&fd, 1, timeout);  // EINTR or a timeout: the batch below finds what is due
    }
  }
  dispatch();
}

void FdBackend::detach() noexcept {
  if (!attached_) return;
  attached_ = false;
  for (bool* stopped : run_levels_) *stopped = true;
  if (inner_) inner_->detach();
  // The alarm thread writes the pipe: it goes first.
  alarm_.stop();
  active_.store(0, std::memory_order_relaxed);
  if (read_fd_ >= 0) close(read_fd_);
  if (write_fd_ >= 0) close(write_fd_);
  read_fd_ = write_fd_ = -1;
}

}  // namespace runloop::detail
