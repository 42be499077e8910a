// Case 7: RealtimeSender. What the producer (an audio thread) pays per value, next to the
// cheapest single-producer ring there is, and what the loop thread pays to poll idle senders.
#include "realtime_cases.hpp"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "runloop/runloop.hpp"

namespace bench {
namespace {

using namespace std::chrono_literals;

// The floor: a textbook SPSC ring. Power-of-two capacity, free-running counters on separate
// cache lines, each side caching the other's counter. No closed flag, no drop counter.
class SpscRing {
 public:
  explicit SpscRing(std::size_t capacity_pow2) : slots_(capacity_pow2), mask_(capacity_pow2 - 1) {}

  bool push(float value) noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - cached_head_ == slots_.size()) {
      cached_head_ = head_.load(std::memory_order_acquire);
      if (tail - cached_head_ == slots_.size()) return false;
    }
    slots_[tail & mask_] = value;
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer: takes everything there is; returns how many.
  int drain(float& sink) noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_acquire);
    std::uint64_t head = head_.load(std::memory_order_relaxed);
    const int taken = static_cast<int>(tail - head);
    for (; head != tail; ++head) sink += slots_[head & mask_];
    head_.store(head, std::memory_order_release);
    return taken;
  }

 private:
  alignas(128) std::atomic<std::uint64_t> tail_{0};
  std::uint64_t cached_head_ = 0;
  alignas(128) std::atomic<std::uint64_t> head_{0};
  alignas(128) std::vector<float> slots_;
  std::size_t mask_;
};

// Producer side of both try_send cases: `values` sends in bursts of `burst`, each burst
// started once the consumer has taken everything (`delivered`), timed on the thread's CPU
// clock. `send(v)` must succeed (the ring has room for a burst).
template <class Send>
double timed_bursts(int values, int burst, const std::atomic<int>& delivered, Send send) {
  double cpu = 0;
  int sent = 0;
  bool all_accepted = true;
  while (sent < values) {
    while (delivered.load(std::memory_order_acquire) != sent) std::this_thread::yield();
    const int n = std::min(burst, values - sent);
    const double start = thread_cpu_ns();
    for (int i = 0; i < n; ++i) all_accepted &= send(static_cast<float>(i));
    cpu += thread_cpu_ns() - start;
    sent += n;
  }
  return all_accepted ? cpu / values : -1;
}

}  // namespace

double realtime_try_send_ns(int values, int burst) {
  auto guard = runloop::RunLoop::acquire();
  const auto loop = runloop::RunLoop::current();
  std::atomic<int> delivered{0};
  runloop::RealtimeSender<float> sender(
      static_cast<std::size_t>(burst),
      [&delivered](float) {
        delivered.store(delivered.load(std::memory_order_relaxed) + 1, std::memory_order_release);
      },
      1ms);
  double per_value = 0;
  std::thread producer([&] {
    per_value = timed_bursts(values, burst, delivered, [&](float v) { return sender.try_send(v); });
    while (delivered.load() != values) std::this_thread::yield();
    runloop::RunLoop::sender().send([&loop] { loop.stop(); });
  });
  loop.run();
  producer.join();
  return per_value;
}

double floor_spsc_push_ns(int values, int burst) {
  std::size_t capacity = 1;
  while (capacity < static_cast<std::size_t>(burst)) capacity *= 2;
  auto ring = std::make_unique<SpscRing>(capacity);
  std::atomic<int> delivered{0};
  std::atomic<bool> done{false};
  std::thread consumer([&] {
    float sink = 0;
    while (!done.load(std::memory_order_relaxed)) {
      std::this_thread::sleep_for(1ms);
      const int taken = ring->drain(sink);
      delivered.store(delivered.load(std::memory_order_relaxed) + taken, std::memory_order_release);
    }
  });
  const double per_value =
      timed_bursts(values, burst, delivered, [&](float v) { return ring->push(v); });
  done = true;
  consumer.join();
  return per_value;
}

double realtime_try_send_full_ns(int values) {
  auto guard = runloop::RunLoop::acquire();
  runloop::RealtimeSender<float> sender(64, [](float) {});
  double per_value = 0;
  std::thread producer([&] {
    for (int i = 0; i < 64; ++i) sender.try_send(0.0f);  // full; the loop never runs
    const double start = thread_cpu_ns();
    for (int i = 0; i < values; ++i) sender.try_send(static_cast<float>(i));
    per_value = (thread_cpu_ns() - start) / values;
  });
  producer.join();
  return sender.dropped() == static_cast<std::uint64_t>(values) ? per_value : -1;
}

double realtime_idle_cpu_ms_per_s(int senders, double seconds) {
  auto guard = runloop::RunLoop::acquire();
  const auto loop = runloop::RunLoop::current();
  std::vector<runloop::RealtimeSender<float>> idle;
  for (int i = 0; i < senders; ++i)
    idle.emplace_back(
        64, [](float) {}, 10ms);
  const auto duration = std::chrono::duration<double>(seconds);
  auto stop = loop.schedule(std::chrono::duration_cast<std::chrono::nanoseconds>(duration),
                            [&loop] { loop.stop(); });
  const double cpu_start = thread_cpu_ns();
  loop.run();
  return (thread_cpu_ns() - cpu_start) / 1e6 / seconds;
}

double floor_sleep_cpu_ms_per_s(double seconds) {
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  const double cpu_start = thread_cpu_ns();
  for (auto next = Clock::now() + 10ms; next < end; next += 10ms) {
    for (auto now = Clock::now(); now < next; now = Clock::now()) {
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(next - now);
      poll(nullptr, 0, static_cast<int>(ms.count()));
    }
  }
  return (thread_cpu_ns() - cpu_start) / 1e6 / seconds;
}

}  // namespace bench
