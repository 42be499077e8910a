#pragma once

#include <chrono>
#include <cstddef>

// How much of the host's loop one pass of ours may take. The host's main loop belongs to the
// host: after one batch we return to it, and its input, redraw and timers run before our
// next batch. docs/design.md ("Being a good guest") has the measurements behind the numbers.
namespace runloop::detail {

// Callbacks (sends, timers, task steps) per phase of one batch. A no-op callback costs
// 20-50 ns, so a full batch of them is ~10 us: large enough that one native iteration per
// batch (~1 us with GLib's poll) is noise in throughput, small enough to be invisible.
// (Both limits can be changed at build time only to measure the choice:
// scripts/budget_sweep.sh.)
#ifdef RUNLOOP_SWEEP_BATCH_CALLBACKS
inline constexpr std::size_t kMaxBatchCallbacks = RUNLOOP_SWEEP_BATCH_CALLBACKS;
#else
inline constexpr std::size_t kMaxBatchCallbacks = 256;
#endif

// Wall time per batch, for callbacks that are not no-ops. The host's frame is ~16 ms.
#ifdef RUNLOOP_SWEEP_BATCH_MS
inline constexpr std::chrono::milliseconds kMaxBatchTime{RUNLOOP_SWEEP_BATCH_MS};
#else
inline constexpr std::chrono::milliseconds kMaxBatchTime{4};
#endif

// The clock is read after every this many callbacks (a read costs about as much as a
// no-op callback), so a batch may overrun kMaxBatchTime by at most this many callbacks.
inline constexpr std::size_t kClockCheckInterval = 4;

using Clock = std::chrono::steady_clock;

// The budget of one batch: kMaxBatchCallbacks ready callbacks and as many timers (separate
// shares, so that neither starves the other), and kMaxBatchTime for everything.
class BatchBudget {
 public:
  explicit BatchBudget(Clock::time_point start) noexcept : start_(start), reading_(start) {}

  bool ready_left() const noexcept { return !out_of_time_ && ready_ < kMaxBatchCallbacks; }
  // Timers may run one past the time budget: see LoopCore::run_due_timers.
  bool timers_left(bool first_of_round) const noexcept {
    return (first_of_round || !out_of_time_) && timers_ < kMaxBatchCallbacks;
  }
  void ran_ready() noexcept {
    ++ready_;
    after_callback();
  }
  void ran_timer() noexcept {
    ++timers_;
    after_callback();
  }
  void read_clock() noexcept {
    reading_ = Clock::now();
    since_reading_ = 0;
    if (reading_ - start_ >= kMaxBatchTime) out_of_time_ = true;
  }
  Clock::time_point last_reading() const noexcept { return reading_; }
  bool spent() const noexcept {
    return out_of_time_ || (ready_ >= kMaxBatchCallbacks && timers_ >= kMaxBatchCallbacks);
  }

 private:
  void after_callback() noexcept {
    if (++since_reading_ >= kClockCheckInterval) read_clock();
  }

  Clock::time_point start_;
  Clock::time_point reading_;
  std::size_t ready_ = 0;
  std::size_t timers_ = 0;
  std::size_t since_reading_ = 0;
  bool out_of_time_ = false;
};

}  // namespace runloop::detail
