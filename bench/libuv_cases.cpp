// libuv, used the usual way: a mutex-protected queue drained by a uv_async_t callback
// (uv_async_send coalesces wake-ups), one uv_timer_t per timer.
#include <uv.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "harness.hpp"

namespace bench {
namespace {

// A uv loop with a cross-thread queue; lives on the loop thread's stack for one case. The
// loop thread's side of the send cases (see harness.hpp).
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
  void send(std::function<void()> f) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(f));
    }
    uv_async_send(&async_);
  }
  template <class F>
  void send_here(F&& f) {
    send(std::forward<F>(f));
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

// The timer cases keep their uv_timer_t in one array; the callback finds its index there.
// The array is left uninitialised (as reserved vectors are for the other contenders): each
// handle's memory is first touched by uv_timer_init, inside the measured window.
struct UvTimers {
  UvTimers(UvLoop& uv, int count_, TimerRecord* record_ = nullptr)
      : loop(uv), count(count_), handles(new uv_timer_t[count_]), record(record_) {}
  ~UvTimers() {
    // Closing lets the loop forget the handle; the array must outlive the close. Every case
    // starts all of its handles (in any order); were one to stop short, they would leak.
    if (started != count) return;
    for (int i = 0; i < count; ++i) uv_close(reinterpret_cast<uv_handle_t*>(&handles[i]), nullptr);
    uv_run(loop.loop(), UV_RUN_NOWAIT);
  }
  // The handle at `index` (the timer's rank). libuv's clock is whole milliseconds of
  // CLOCK_MONOTONIC (steady_clock's clock): due at the first tick at or after the deadline, so it
  // never fires early.
  void start(int index, Clock::time_point deadline, uv_timer_cb callback) {
    uv_timer_t* handle = &handles[index];
    uv_timer_init(loop.loop(), handle);
    ++started;
    handle->data = this;
    const auto due_ms =
        std::chrono::ceil<std::chrono::milliseconds>(deadline.time_since_epoch()).count();
    const auto now_ms = static_cast<std::int64_t>(uv_now(loop.loop()));
    const auto delay_ms = std::max<std::int64_t>(due_ms - now_ms, 0);
    uv_timer_start(handle, callback, static_cast<std::uint64_t>(delay_ms), 0);
  }
  int index_of(uv_timer_t* handle) const { return static_cast<int>(handle - handles.get()); }
  void stop_all() {
    for (int i = 0; i < started; ++i) uv_timer_stop(&handles[i]);  // all, once started
  }

  UvLoop& loop;
  int count;
  std::unique_ptr<uv_timer_t[]> handles;
  int started = 0;
  TimerRecord* record = nullptr;
};

// Cases 1, 2 and 4 are LoopCases' (harness.hpp).
struct LibuvCases : LoopCases<UvLoop> {
  static TimerStats timers(const Params& params) {
    UvLoop loop;
    PlannedTimers planned(params.timer_count, params.timer_spread);
    UvTimers uv_timers(loop, params.timer_count, &planned.record);
    return measure_timers(
        planned, params.timer_lead,
        [&](int rank) {
          uv_timers.start(rank, planned.record.deadline(rank), [](uv_timer_t* handle) {
            auto* self = static_cast<UvTimers*>(handle->data);
            self->record->fire(self->index_of(handle));
            if (self->record->all_fired()) self->loop.stop();
          });
        },
        [&] { loop.run(); }, [&] { uv_update_time(loop.loop()); });
  }

  static ScheduleCancelStats schedule_cancel(const Params& params, CancelOrder order) {
    UvLoop loop;
    PlannedTimers planned(params.cancel_count, params.timer_spread);
    // The caller's storage, allocated beforehand.
    UvTimers uv_timers(loop, params.cancel_count, &planned.record);
    uv_update_time(loop.loop());
    return measure_schedule_cancel<DueAt::deadline>(
        planned, params.timer_lead, order,
        [&](int i, int rank) {
          uv_timers.start(i, planned.record.deadline(rank), [](uv_timer_t* handle) {
            auto* self = static_cast<UvTimers*>(handle->data);
            self->record->fire(self->index_of(handle));
          });
        },
        [&](int i) { uv_timer_stop(&uv_timers.handles[i]); });
  }

  static double pending_callback_bytes(const Params& params) {
    UvLoop loop;
    const int n = params.pending_count;
    int done = 0;
    const double bytes = measure_pending_callback_bytes(loop, n, count_then_stop(done, loop, n));
    loop.run();
    return bytes;
  }

  static double pending_timer_bytes(const Params& params) {
    UvLoop loop;
    UvTimers uv_timers(loop, params.pending_count);  // the caller's storage: counted as sizeof
    const auto deadline = Clock::now() + std::chrono::hours(1);
    const double bytes = measure_pending_timer_bytes<uv_timer_t>(
        params.pending_count, [&](int i) { uv_timers.start(i, deadline, [](uv_timer_t*) {}); });
    uv_timers.stop_all();
    return bytes;
  }
};

}  // namespace

Contender libuv_contender() {
  return contender<LibuvCases>("libuv");
}

}  // namespace bench
