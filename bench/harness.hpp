#pragma once

// Shared pieces of runloop_bench: what one contender must implement, the measuring tools
// every contender uses the same way (clocks, futex event, heap accounting), and the body of
// every measurement, written once for all contenders.

#include <linux/futex.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <thread>
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
  double schedule_cpu_ms = 0;     // of which scheduling them
  double faults_per_1k = 0;       // minor page faults of the loop thread, per 1000 timers
  double lateness_median_us = 0;  // fire time - deadline
  double lateness_p99_us = 0;
};

// Case 3d-g: loop-thread CPU time per timer of each phase.
struct ScheduleCancelStats {
  double schedule_ns = 0;
  double cancel_ns = 0;
  double total_ns() const { return schedule_ns + cancel_ns; }
};

// The order in which case 3d-g cancels: the order scheduled (a queue of timeouts that each
// end in turn), or an unrelated random one (timeouts cancelled as their requests complete).
enum class CancelOrder { fifo, random };

// One way of doing the work. A null member means "not measured" (printed as n/a).
// Every function runs on the thread that plays the loop thread (the process main thread),
// creates the other threads it needs and leaves no state behind.
struct Contender {
  const char* name;
  double (*cross_thread_send_ns)(const Params&) = nullptr;  // per message, until all ran
  double (*same_thread_send_ns)(const Params&) = nullptr;   // per message, until all ran
  TimerStats (*timers)(const Params&) = nullptr;
  ScheduleCancelStats (*schedule_cancel)(const Params&, CancelOrder) = nullptr;  // per timer
  double (*round_trip_us)(int round_trips) = nullptr;                            // per round trip
  double (*pending_callback_bytes)(const Params&) = nullptr;  // cross-thread, not yet run
  double (*pending_timer_bytes)(const Params&) = nullptr;
};

// The Contender whose measurements are the static member functions of `Cases`, named as
// Contender's members.
template <class Cases>
Contender contender(const char* name) {
  Contender c;
  c.name = name;
  c.cross_thread_send_ns = Cases::cross_thread_send_ns;
  c.same_thread_send_ns = Cases::same_thread_send_ns;
  c.timers = Cases::timers;
  c.schedule_cancel = Cases::schedule_cancel;
  c.round_trip_us = Cases::round_trip_us;
  c.pending_callback_bytes = Cases::pending_callback_bytes;
  c.pending_timer_bytes = Cases::pending_timer_bytes;
  return c;
}

// Minor page faults of the calling thread so far. The timer case runs in a fresh process,
// so every page the contender's timers occupy is faulted in within the measured window; on
// a VM a fault can cost 1-20 µs of CPU, which then decides the figure.
inline double thread_minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return static_cast<double>(usage.ru_minflt);
}

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
  // random_cancel[j]: which timer (its index in `order`) case 3e cancels j-th; a permutation
  // unrelated to `order`, so that neither the deadline nor the scheduling order helps.
  std::vector<int> random_cancel;
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

// The timers of one timer case: `count` of them per timer_plan(), and the record their
// callbacks write.
struct PlannedTimers {
  PlannedTimers(int count, std::chrono::nanoseconds spread)
      : plan(timer_plan(count, spread)), record(count, plan.step) {}
  TimerPlan plan;
  TimerRecord record;
};

// ---------------------------------------------------------------------------------------
// The measurements. Each contender supplies only how its library does one step.
//
// Cases 1, 2, 4 and 5a drive a contender through `Loop`, a small adapter that lives on the
// loop thread for one case:
//   loop.send(f)       queues f to run on the loop thread; callable from any thread
//   loop.send_here(f)  the same, from the loop thread (the seed queues an idle source there)
//   loop.run()         runs the loop until stop()
//   loop.stop()        ends run(); called by a callback, on the loop thread
// The timer cases take the contender's steps as lambdas: every library holds timers its
// own way.

// The callback of the send cases: counts, and the n-th stops the loop. Where a contender
// sends another callback (a bare count: asio's run() returns by itself once idle, and
// runloop never runs its pending ones), it passes its own: the callback's size is part of
// what is measured (it decides whether std::function or GLib's box allocate, and how much).
template <class Loop>
auto count_then_stop(int& done, Loop& loop, int n) {
  return [&done, &loop, n] {
    if (++done == n) loop.stop();
  };
}

// 1: a producer thread sends n callbacks while the loop thread is in run() until the last
// one ran. Wall time per message.
template <class Loop>
double measure_cross_thread_send_ns(Loop& loop, int n) {
  int done = 0;  // loop thread only
  const auto start = Clock::now();
  std::thread producer([&] {
    for (int i = 0; i < n; ++i) loop.send(count_then_stop(done, loop, n));
  });
  loop.run();
  const auto end = Clock::now();
  producer.join();
  return ns_between(start, end) / n;
}

// 2: n copies of `callback` sent from the loop thread, then run() until all ran (the
// callback sees to it that run() returns). Loop-thread CPU time per message.
template <class Loop, class F>
double measure_same_thread_send_ns(Loop& loop, int n, const F& callback) {
  const double cpu_start = thread_cpu_ns();
  for (int i = 0; i < n; ++i) loop.send_here(callback);
  loop.run();
  return (thread_cpu_ns() - cpu_start) / n;
}

// 3a-c: `schedule(rank)` schedules every timer, in the plan's shuffled order: due at
// record.deadline(rank), it calls record.fire(rank). Then `run()` returns once
// record.all_fired(). Loop-thread CPU time from before the first schedule, so that
// scheduling counts; `on_start()` runs first on that clock (libuv refreshes its time there).
struct NoOp {
  void operator()() const {}
};
template <class Schedule, class Run, class OnStart = NoOp>
TimerStats measure_timers(PlannedTimers& timers, std::chrono::nanoseconds lead, Schedule schedule,
                          Run run, OnStart on_start = {}) {
  const double faults_start = thread_minor_faults();
  const double cpu_start = thread_cpu_ns();
  on_start();
  timers.record.base = Clock::now() + lead;
  for (const int rank : timers.plan.order) schedule(rank);
  const double cpu_scheduled = thread_cpu_ns();
  run();
  TimerStats stats;
  stats.loop_cpu_ms = (thread_cpu_ns() - cpu_start) / 1e6;
  stats.schedule_cpu_ms = (cpu_scheduled - cpu_start) / 1e6;
  stats.faults_per_1k = (thread_minor_faults() - faults_start) * 1000 / timers.plan.order.size();
  summarise_lateness(timers.record.lateness_ns, stats);
  return stats;
}

// How a contender's case-3d timers are due: at record.deadline(rank), whose base the
// measurement sets (on the clock, `lead` from now), or after a delay from now that the
// contender computes, its schedule reading the clock itself (runloop's schedule(delay), 3h).
enum class DueAt { deadline, delay };

// 3d-g: `schedule(i, rank)` schedules the i-th timer of the plan's order (of that rank),
// then `cancel(i)` cancels the i-th timer scheduled, for every i in `order` (the scheduling
// order, or the plan's random one), then `finish()` completes the cancellations where the
// library needs a pass for that (asio runs the aborted handlers). Loop-thread CPU time per
// timer of each phase. The caller's handle storage is reserved beforehand by every contender.
template <DueAt due, class Schedule, class Cancel, class Finish = NoOp>
ScheduleCancelStats measure_schedule_cancel(PlannedTimers& timers, std::chrono::nanoseconds lead,
                                            CancelOrder order, Schedule schedule, Cancel cancel,
                                            Finish finish = {}) {
  const int n = static_cast<int>(timers.plan.order.size());
  const std::vector<int>& random = timers.plan.random_cancel;
  const double cpu_start = thread_cpu_ns();
  if constexpr (due == DueAt::deadline) timers.record.base = Clock::now() + lead;
  for (int i = 0; i < n; ++i) schedule(i, timers.plan.order[i]);
  const double cpu_scheduled = thread_cpu_ns();
  if (order == CancelOrder::fifo) {
    for (int i = 0; i < n; ++i) cancel(i);
  } else {
    for (int i = 0; i < n; ++i) cancel(random[i]);
  }
  finish();
  const double cpu_end = thread_cpu_ns();
  return ScheduleCancelStats{(cpu_scheduled - cpu_start) / n, (cpu_end - cpu_scheduled) / n};
}

// 4: a client thread calls `request()` round_trips times, then has the loop stopped; the
// loop thread is in run() meanwhile. Wall time per round trip, on the client.
template <class Loop, class Request>
double measure_round_trip_us(Loop& loop, int round_trips, Request request) {
  double elapsed_ns = 0;
  std::thread client([&] {
    const auto start = Clock::now();
    for (int i = 0; i < round_trips; ++i) request();
    elapsed_ns = ns_between(start, Clock::now());
    loop.send([&loop] { loop.stop(); });
  });
  loop.run();
  client.join();
  return elapsed_ns / round_trips / 1e3;
}

// 4, the request of every contender: a callback that wakes the client through a futex.
template <class Loop>
double measure_round_trip_us(Loop& loop, int round_trips) {
  FutexEvent reply;
  return measure_round_trip_us(loop, round_trips, [&] {
    loop.send([&reply] { reply.signal(); });
    reply.wait();
  });
}

// 5a: heap growth while n copies of `callback`, sent from another thread, are pending.
// What becomes of them afterwards is the caller's business.
template <class Loop, class F>
double measure_pending_callback_bytes(Loop& loop, int n, const F& callback) {
  FutexEvent go, sent;
  std::thread producer([&] {
    go.wait();
    for (int i = 0; i < n; ++i) loop.send(callback);
    sent.signal();
  });
  const double before = heap_in_use();
  go.signal();
  sent.wait();
  const double after = heap_in_use();
  producer.join();
  return (after - before) / n;
}

// Cases 1, 2 and 4 of a contender whose Loop adapter is default-constructed and whose
// same-thread callbacks are count_then_stop: its Cases struct derives from this one.
template <class Loop>
struct LoopCases {
  static double cross_thread_send_ns(const Params& params) {
    Loop loop;
    return measure_cross_thread_send_ns(loop, params.send_count);
  }
  static double same_thread_send_ns(const Params& params) {
    Loop loop;
    const int n = params.send_count;
    int done = 0;
    return measure_same_thread_send_ns(loop, n, count_then_stop(done, loop, n));
  }
  static double round_trip_us(int round_trips) {
    Loop loop;
    return measure_round_trip_us(loop, round_trips);
  }
};

// 5b: heap growth while n timers due in an hour are pending (`schedule(i)` schedules the
// i-th), plus the caller's handle object, sizeof(Handle). Cancelling them afterwards is the
// caller's business.
template <class Handle, class Schedule>
double measure_pending_timer_bytes(int n, Schedule schedule) {
  const double before = heap_in_use();
  for (int i = 0; i < n; ++i) schedule(i);
  const double after = heap_in_use();
  return (after - before) / n + sizeof(Handle);
}

}  // namespace bench

namespace bench {

// The contenders; those whose library was not found at configure time are not linked.
Contender runloop_contender();
// runloop in host-driven mode under a poll() host (Linux): cases 1-4 only.
Contender runloop_host_driven_contender();
// Case 8f: loop-thread CPU per dispatch() with nothing ready (hosts call their fd handlers
// spuriously), and its floor: the one non-blocking read() of an empty pipe it makes.
double host_driven_idle_dispatch_ns(int calls);
double floor_empty_pipe_read_ns(int calls);
double runloop_send_and_wait_us(int round_trips);
// Case 3h: runloop's schedule(delay), which reads the clock, per timer (3d-g give every
// contender absolute deadlines).
double runloop_schedule_delay_ns(const Params& params);
Contender seed_contender();
Contender asio_contender();
Contender libuv_contender();
Contender gsource_contender();

// Floors: the same work without any run loop.
double floor_mutex_queue_ns(const Params& params);
double floor_condvar_round_trip_us(int round_trips);
double floor_futex_round_trip_us(int round_trips);
TimerStats floor_ms_poll_timers(const Params& params);
double floor_clock_read_ns(const Params& params);

}  // namespace bench
