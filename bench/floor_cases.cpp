// Floors: the same hand-over without any run loop, to tell the cost of the code from the
// cost of the machine.
#include <poll.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "harness.hpp"

namespace bench {

// A bare mutex-protected queue and a consumer that polls it: no sleeping, no wake-ups.
double floor_mutex_queue_ns(const Params& params) {
  const int n = params.send_count;
  std::mutex mutex;
  std::vector<std::function<void()>> queue;
  int done = 0;
  const auto start = Clock::now();
  std::thread producer([&] {
    for (int i = 0; i < n; ++i) {
      std::lock_guard lock(mutex);
      queue.emplace_back([&done] { ++done; });
    }
  });
  std::vector<std::function<void()>> batch;
  while (done < n) {
    {
      std::lock_guard lock(mutex);
      batch.swap(queue);
    }
    if (batch.empty()) std::this_thread::yield();
    for (auto& item : batch) item();
    batch.clear();
  }
  const auto end = Clock::now();
  producer.join();
  return ns_between(start, end) / n;
}

// Two threads taking turns through a mutex and condition variable. Notified after the
// unlock, so that the woken thread does not block again on the mutex: the condvar's best.
double floor_condvar_round_trip_us(int round_trips) {
  std::mutex mutex;
  std::condition_variable cv;
  bool ping = false;  // under mutex: true while the request is out
  std::thread server([&] {
    for (int i = 0; i < round_trips; ++i) {
      {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return ping; });
        ping = false;
      }
      cv.notify_one();
    }
  });
  const auto start = Clock::now();
  for (int i = 0; i < round_trips; ++i) {
    {
      std::lock_guard lock(mutex);
      ping = true;
    }
    cv.notify_one();
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return !ping; });
  }
  const auto end = Clock::now();
  server.join();
  return ns_between(start, end) / round_trips / 1e3;
}

// Two threads taking turns through two futexes: the cheapest blocking hand-over there is.
double floor_futex_round_trip_us(int round_trips) {
  FutexEvent request, reply;
  std::thread server([&] {
    for (int i = 0; i < round_trips; ++i) {
      request.wait();
      reply.signal();
    }
  });
  const auto start = Clock::now();
  for (int i = 0; i < round_trips; ++i) {
    request.signal();
    reply.wait();
  }
  const auto end = Clock::now();
  server.join();
  return ns_between(start, end) / round_trips / 1e3;
}

// The ideal millisecond-poll loop that GLib (and libuv) are: deadlines already sorted in an
// array (no scheduling, no queue), a clock read per wake-up and a poll() with the timeout
// rounded up to whole milliseconds. Its CPU time is what sleeping ~1000 times costs on this
// machine; its lateness is what a millisecond timeout allows.
TimerStats floor_ms_poll_timers(const Params& params) {
  const int n = params.timer_count;
  TimerRecord record(n, params.timer_spread / n);
  const double cpu_start = thread_cpu_ns();
  record.base = Clock::now() + params.timer_lead;
  int next = 0;
  while (next < n) {
    const auto now = Clock::now();
    while (next < n && record.deadline(next) <= now) record.fire(next++);
    if (next == n) break;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(record.deadline(next) - now);
    poll(nullptr, 0, static_cast<int>(std::max<std::int64_t>(ms.count(), 0)));
  }
  TimerStats stats;
  stats.loop_cpu_ms = (thread_cpu_ns() - cpu_start) / 1e6;
  summarise_lateness(record.lateness_ns, stats);
  return stats;
}

// schedule(delay) must read the clock (deadline = now + delay): its cost on this machine.
double floor_clock_read_ns(const Params& params) {
  const int n = params.cancel_count;
  std::int64_t sink = 0;
  const double cpu_start = thread_cpu_ns();
  for (int i = 0; i < n; ++i) sink += Clock::now().time_since_epoch().count() & 1;
  const double elapsed = thread_cpu_ns() - cpu_start;
  return sink < 0 ? 0 : elapsed / n;
}

}  // namespace bench
