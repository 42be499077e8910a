// libuv, used the usual way: a mutex-protected queue drained by a uv_async_t callback
// (uv_async_send coalesces wake-ups), one uv_timer_t per timer.
#include <uv.h>

#include <algorithm>
#include <functional>
#include <mutex>
#include <thread>

#include "harness.hpp"

namespace bench {
namespace {

// A uv loop with a cross-thread queue; lives on the loop thread's stack for one case.
class UvLoop {
 public:
  UvLoop() {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &async_,
                  [](uv_async_t* async) { static_cast<UvLoop*>(async->data)->drain(); });
    async_.data = this;
  }
  ~UvLoop() {
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);  // finishes every close
    uv_loop_close(&loop_);
  }

  // Any thread.
  void post(std::function<void()> f) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(f));
    }
    uv_async_send(&async_);
  }
  void run() { uv_run(&loop_, UV_RUN_DEFAULT); }
  void stop() { uv_stop(&loop_); }
  uv_loop_t* loop() { return &loop_; }

 private:
  void drain() {
    {
      std::lock_guard lock(mutex_);
      batch_.swap(queue_);
    }
    for (auto& f : batch_) f();
    batch_.clear();
  }

  uv_loop_t loop_{};
  uv_async_t async_{};
  std::mutex mutex_;
  std::vector<std::function<void()>> queue_;
  std::vector<std::function<void()>> batch_;
};

double cross_thread_send_ns(const Params& params) {
  UvLoop loop;
  const int n = params.send_count;
  int done = 0;
  const auto start = Clock::now();
  std::thread producer([&] {
    for (int i = 0; i < n; ++i) {
      loop.post([&done, &loop, n] {
        if (++done == n) loop.stop();
      });
    }
  });
  loop.run();
  const auto end = Clock::now();
  producer.join();
  return ns_between(start, end) / n;
}

double same_thread_send_ns(const Params& params) {
  UvLoop loop;
  const int n = params.send_count;
  int done = 0;
  const double cpu_start = thread_cpu_ns();
  for (int i = 0; i < n; ++i) {
    loop.post([&done, &loop, n] {
      if (++done == n) loop.stop();
    });
  }
  loop.run();
  return (thread_cpu_ns() - cpu_start) / n;
}

// The timer cases keep their uv_timer_t in one array; the callback finds its index there.
struct UvTimers {
  UvTimers(UvLoop& uv, int count) : loop(uv), handles(count) {}
  ~UvTimers() {
    for (auto& handle : handles) {
      // Closing lets the loop forget the handle; the array must outlive the close.
      if (handle.loop != nullptr) uv_close(reinterpret_cast<uv_handle_t*>(&handle), nullptr);
    }
    uv_run(loop.loop(), UV_RUN_NOWAIT);
  }
  // The handle at `index` (the timer's rank). libuv's clock is whole milliseconds of
  // CLOCK_MONOTONIC (steady_clock's clock): due at the first tick at or after the deadline, so it
  // never fires early.
  void start(int index, Clock::time_point deadline, uv_timer_cb callback) {
    uv_timer_t* handle = &handles[index];
    uv_timer_init(loop.loop(), handle);
    handle->data = this;
    const auto due_ms =
        std::chrono::ceil<std::chrono::milliseconds>(deadline.time_since_epoch()).count();
    const auto now_ms = static_cast<std::int64_t>(uv_now(loop.loop()));
    const auto delay_ms = std::max<std::int64_t>(due_ms - now_ms, 0);
    uv_timer_start(handle, callback, static_cast<std::uint64_t>(delay_ms), 0);
  }
  int index_of(uv_timer_t* handle) const { return static_cast<int>(handle - handles.data()); }

  UvLoop& loop;
  std::vector<uv_timer_t> handles;
  TimerRecord* record = nullptr;
};

TimerStats timers(const Params& params) {
  UvLoop loop;
  const int n = params.timer_count;
  const TimerPlan plan = timer_plan(n, params.timer_spread);
  TimerRecord record(n, plan.step);
  UvTimers timers(loop, n);
  timers.record = &record;
  const double cpu_start = thread_cpu_ns();
  uv_update_time(loop.loop());
  record.base = Clock::now() + params.timer_lead;
  for (int i = 0; i < n; ++i) {
    const int rank = plan.order[i];
    timers.start(rank, record.deadline(rank), [](uv_timer_t* handle) {
      auto* self = static_cast<UvTimers*>(handle->data);
      self->record->fire(self->index_of(handle));
      if (self->record->all_fired()) self->loop.stop();
    });
  }
  loop.run();
  TimerStats stats;
  stats.loop_cpu_ms = (thread_cpu_ns() - cpu_start) / 1e6;
  summarise_lateness(record.lateness_ns, stats);
  return stats;
}

double schedule_cancel_ns(const Params& params) {
  UvLoop loop;
  const int n = params.cancel_count;
  const TimerPlan plan = timer_plan(n, params.timer_spread);
  TimerRecord record(n, plan.step);
  UvTimers timers(loop, n);  // the caller's storage, allocated beforehand
  timers.record = &record;
  uv_update_time(loop.loop());
  const double cpu_start = thread_cpu_ns();
  record.base = Clock::now() + params.timer_lead;
  for (int i = 0; i < n; ++i) {
    timers.start(i, record.deadline(plan.order[i]), [](uv_timer_t* handle) {
      auto* self = static_cast<UvTimers*>(handle->data);
      self->record->fire(self->index_of(handle));
    });
  }
  for (auto& handle : timers.handles) uv_timer_stop(&handle);
  return (thread_cpu_ns() - cpu_start) / n;
}

double round_trip_us(int round_trips) {
  UvLoop loop;
  FutexEvent reply;
  double elapsed_ns = 0;
  std::thread client([&] {
    const auto start = Clock::now();
    for (int i = 0; i < round_trips; ++i) {
      loop.post([&reply] { reply.signal(); });
      reply.wait();
    }
    elapsed_ns = ns_between(start, Clock::now());
    loop.post([&loop] { loop.stop(); });
  });
  loop.run();
  client.join();
  return elapsed_ns / round_trips / 1e3;
}

double pending_callback_bytes(const Params& params) {
  UvLoop loop;
  const int n = params.pending_count;
  int done = 0;
  FutexEvent go, sent;
  std::thread producer([&] {
    go.wait();
    for (int i = 0; i < n; ++i) {
      loop.post([&done, &loop, n] {
        if (++done == n) loop.stop();
      });
    }
    sent.signal();
  });
  const double before = heap_in_use();
  go.signal();
  sent.wait();
  const double after = heap_in_use();
  producer.join();
  loop.run();
  return (after - before) / n;
}

double pending_timer_bytes(const Params& params) {
  UvLoop loop;
  const int n = params.pending_count;
  UvTimers timers(loop, n);  // the caller's storage: counted as sizeof below
  const auto deadline = Clock::now() + std::chrono::hours(1);
  const double before = heap_in_use();
  for (int i = 0; i < n; ++i) timers.start(i, deadline, [](uv_timer_t*) {});
  const double after = heap_in_use();
  for (auto& handle : timers.handles) uv_timer_stop(&handle);
  return (after - before) / n + sizeof(uv_timer_t);
}

}  // namespace

Contender libuv_contender() {
  Contender c;
  c.name = "libuv";
  c.cross_thread_send_ns = cross_thread_send_ns;
  c.same_thread_send_ns = same_thread_send_ns;
  c.timers = timers;
  c.schedule_cancel_ns = schedule_cancel_ns;
  c.round_trip_us = round_trip_us;
  c.pending_callback_bytes = pending_callback_bytes;
  c.pending_timer_bytes = pending_timer_bytes;
  return c;
}

}  // namespace bench
