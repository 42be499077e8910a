// The loop side of RealtimeSender: one timer of the core per sender polls its ring.
//
// Why a poll and not a wake-up: waking the loop from the producer means a system call
// (eventfd write, PostMessage, CFRunLoopWakeUp) or a lock (the mailbox), which is exactly
// what an audio thread must not do. So the producer only publishes a counter, and the loop
// thread looks at it every poll interval. See docs/design.md, "Real-time hand-off".
#include <limits>
#include <stdexcept>
#include <utility>

#include "core/exceptions.hpp"
#include "runloop/realtime.hpp"
#include "runloop/run_loop.hpp"

namespace runloop::detail {
namespace {

using Clock = RunLoop::Clock;

// The first multiple of `interval` (counted from the clock's epoch) after `now`. Every
// sender with the same interval polls at the same instants, so that N senders cost one
// native wake-up per interval, not N. Missed polls (a blocked loop) are skipped, not
// bunched. Saturates instead of overflowing.
Clock::time_point next_poll_after(Clock::time_point now, std::chrono::nanoseconds interval) {
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch());
  const auto max = std::chrono::nanoseconds::max();
  const auto floor = since_epoch - since_epoch % interval;
  if (floor > max - interval) return Clock::time_point::max();
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(floor + interval));
}

// The callback of one pending poll. It holds a reference to the channel, and tells the
// channel when it is destroyed without having run: that happens when the loop shuts down
// (every pending timer is destroyed unrun) or when the owner closed the channel.
class PollTick {
 public:
  explicit PollTick(RealtimeChannel* channel) noexcept : channel_(channel) { channel_->add_ref(); }
  PollTick(PollTick&& other) noexcept
      : channel_(std::exchange(other.channel_, nullptr)), ran_(other.ran_) {}
  PollTick& operator=(PollTick&&) = delete;
  PollTick(const PollTick&) = delete;
  PollTick& operator=(const PollTick&) = delete;
  ~PollTick() {
    if (channel_ == nullptr) return;
    if (!ran_) channel_->stop();
    channel_->release();
  }

  void operator()() {
    ran_ = true;
    channel_->poll();
  }

 private:
  RealtimeChannel* channel_;
  bool ran_ = false;
};

}  // namespace

void RealtimeChannel::check_arguments(std::size_t capacity,
                                      std::chrono::nanoseconds poll_interval) {
  (void)RunLoop::current();  // throws RunLoopError off the loop thread or without a loop
  if (capacity == 0) {
    throw std::invalid_argument("runloop::RealtimeSender: the capacity must be at least 1");
  }
  if (poll_interval <= std::chrono::nanoseconds::zero()) {
    throw std::invalid_argument("runloop::RealtimeSender: the poll interval must be positive");
  }
}

RealtimeChannel::RealtimeChannel(std::size_t capacity, std::chrono::nanoseconds poll_interval,
                                 void* storage) noexcept
    : storage_(storage),
      capacity_(capacity),
      loop_storage_(storage),
      loop_capacity_(capacity),
      interval_(poll_interval) {}

RealtimeChannel::~RealtimeChannel() = default;

void RealtimeChannel::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

void RealtimeChannel::start() {
  pending_poll_ =
      RunLoop::current().schedule_at(next_poll_after(RunLoop::now(), interval_), PollTick(this));
}

void RealtimeChannel::stop() noexcept {
  stopped_.store(true, std::memory_order_relaxed);
  closed_.store(true, std::memory_order_relaxed);
}

void RealtimeChannel::close() noexcept {
  stop();
  // The pending poll belongs to the loop thread. Elsewhere (misuse) it is left alone: it
  // finds the channel stopped, does not re-arm, and drops the last reference on the loop
  // thread.
  if (RunLoop::is_run_loop_thread()) pending_poll_.cancel();
  release();
}

void RealtimeChannel::poll() {
  if (!delivering()) return;  // closed from another thread: let the ring go
  // Re-armed first, so that an on_value that throws or destroys the sender finds the next
  // poll in place (and cancels it).
  try {
    pending_poll_ =
        RunLoop::current().schedule_at(next_poll_after(RunLoop::now(), interval_), PollTick(this));
  } catch (...) {
    // Out of memory for the timer: the PollTick that could not be queued stopped the
    // sender, so its producer sees try_send() fail instead of filling a ring nobody reads.
    report_exception(std::current_exception());
  }
  // The idle case: one atomic load of the producer's counter.
  const std::uint64_t end = tail_.load(std::memory_order_acquire);
  if (end == head_.load(std::memory_order_relaxed)) return;
  // Only what was sent before this poll: values sent meanwhile wait for the next one, so a
  // fast producer cannot keep the loop here. A throwing on_value costs its own value only.
  for (;;) {
    try {
      deliver(end);
      return;
    } catch (...) {
      report_exception(std::current_exception());
    }
  }
}

}  // namespace runloop::detail
