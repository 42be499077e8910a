#pragma once

// Shared pieces of runloop_bench: what one contender must implement, and the measuring
// tools every contender uses the same way (clocks, futex event, heap accounting).

#include <linux/futex.h>
#include <malloc.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

// Sizes of one run; --quick shrinks them.
struct Params {
  int send_count = 1'000'000;
  int timer_count = 100'000;
  std::chrono::nanoseconds timer_spread = std::chrono::seconds(1);
  // The first deadline is this far away, so that no contender's timers are already late
  // when its scheduling loop ends.
  std::chrono::nanoseconds timer_lead = std::chrono::milliseconds(100);
  int cancel_count = 100'000;
  int round_trips_pinned = 10'000;
  int round_trips_unpinned = 2'000;
  int pending_count = 100'000;
};

struct TimerStats {
  double loop_cpu_ms = 0;         // loop-thread CPU time: scheduling + running every timer
  double lateness_median_us = 0;  // fire time - deadline
  double lateness_p99_us = 0;
};

// One way of doing the work. A null member means "not measured" (printed as n/a).
// Every function runs on the thread that plays the loop thread (the process main thread),
// creates the other threads it needs and leaves no state behind.
struct Contender {
  const char* name;
  double (*cross_thread_send_ns)(const Params&) = nullptr;  // per message, until all ran
  double (*same_thread_send_ns)(const Params&) = nullptr;   // per message, until all ran
  TimerStats (*timers)(const Params&) = nullptr;
  double (*schedule_cancel_ns)(const Params&) = nullptr;      // per timer
  double (*round_trip_us)(int round_trips) = nullptr;         // per round trip
  double (*pending_callback_bytes)(const Params&) = nullptr;  // cross-thread, not yet run
  double (*pending_timer_bytes)(const Params&) = nullptr;
};

inline double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

inline double ns_between(Clock::time_point a, Clock::time_point b) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
}

// Bytes in use on the heap, all arenas, including what GLib and libc allocate. Deltas of it
// count everything a pending item costs (its own allocation, malloc headers, queue slack).
inline double heap_in_use() {
  struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd);
}

// A one-shot event for one waiter and one signaller, on a raw futex: the cheapest way to
// block a thread until another one says so. Used as the reply channel of every round-trip
// contender, so that they differ only in how the request reaches the loop.
class FutexEvent {
 public:
  void signal() noexcept {
    if (state_.exchange(kSignalled, std::memory_order_release) == kSleeping) {
      syscall(SYS_futex, &state_, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
    }
  }
  void wait() noexcept {
    std::uint32_t s = state_.load(std::memory_order_acquire);
    for (;;) {
      if (s == kSignalled) {
        state_.store(kEmpty, std::memory_order_relaxed);
        return;
      }
      if (s == kEmpty && !state_.compare_exchange_weak(s, kSleeping, std::memory_order_acquire)) {
        continue;
      }
      syscall(SYS_futex, &state_, FUTEX_WAIT_PRIVATE, kSleeping, nullptr, nullptr, 0);
      s = state_.load(std::memory_order_acquire);
    }
  }

 private:
  static constexpr std::uint32_t kEmpty = 0, kSignalled = 1, kSleeping = 2;
  std::atomic<std::uint32_t> state_{kEmpty};
};

// The timer case: `count` timers spread uniformly over `spread`, the one of rank r (in
// deadline order) due at base + (r + 1) * step. They are scheduled in a shuffled order (a
// fixed seed, so every contender gets the same one), as real timers are not scheduled in
// deadline order.
struct TimerPlan {
  std::vector<int> order;  // order[i]: the rank of the i-th timer scheduled
  std::chrono::nanoseconds step;
};
TimerPlan timer_plan(int count, std::chrono::nanoseconds spread);

// Everyone's timer callback does the same thing: note how late it fired. Indexed by rank,
// so that firing in deadline order writes memory in order (the bench's own cost stays out
// of the contenders' cache misses).
struct TimerRecord {
  TimerRecord(int count, std::chrono::nanoseconds step_) : lateness_ns(count), step(step_) {}
  Clock::time_point deadline(int rank) const { return base + step * (rank + 1); }
  void fire(int rank) {
    lateness_ns[rank] = ns_between(deadline(rank), Clock::now());
    ++fired;
  }
  bool all_fired() const { return fired == static_cast<int>(lateness_ns.size()); }

  std::vector<double> lateness_ns;
  std::chrono::nanoseconds step;
  Clock::time_point base;  // set just before scheduling
  int fired = 0;
};

// Lateness percentiles (µs) of fire times against deadlines; nanosecond inputs.
void summarise_lateness(std::vector<double>& lateness_ns, TimerStats& stats);

}  // namespace bench

namespace bench {

// The contenders; those whose library was not found at configure time are not linked.
Contender runloop_contender();
double runloop_send_and_wait_us(int round_trips);
Contender seed_contender();
Contender asio_contender();
Contender libuv_contender();

// Floors: the same work without any run loop.
double floor_mutex_queue_ns(const Params& params);
double floor_condvar_round_trip_us(int round_trips);
double floor_futex_round_trip_us(int round_trips);
TimerStats floor_ms_poll_timers(const Params& params);
double floor_clock_read_ns(const Params& params);

}  // namespace bench
