// Floors: the same hand-over without any run loop, to tell the cost of the code from the
// cost of the machine.
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

}  // namespace bench
