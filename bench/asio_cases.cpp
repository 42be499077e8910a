// Standalone asio, used the way its documentation shows: asio::post() onto an io_context
// run by the loop thread, one steady_timer per timer.
#include <asio.hpp>
#include <optional>

#include "harness.hpp"

namespace bench {
namespace {

// The loop thread's side of the send cases (see harness.hpp): an io_context whose run()
// either lasts until stop() (a work guard keeps it busy) or returns once nothing is left.
class Loop {
 public:
  enum Until { kStopped, kIdle };
  explicit Loop(Until until) {
    if (until == kStopped) work_.emplace(asio::make_work_guard(io_));
  }

  template <class F>
  void send(F&& f) {
    asio::post(io_, std::forward<F>(f));
  }
  template <class F>
  void send_here(F&& f) {
    asio::post(io_, std::forward<F>(f));
  }
  void run() { io_.run(); }
  void stop() { io_.stop(); }

 private:
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
};

// The caller's side of asio's timers: a steady_timer each, in storage reserved beforehand.
struct SteadyTimers {
  SteadyTimers(asio::io_context& io_, int count) : io(io_) { timers.reserve(count); }
  template <class Handler>
  void start(Clock::time_point deadline, Handler handler) {
    timers.emplace_back(io, deadline);
    timers.back().async_wait(std::move(handler));
  }
  // A cancelled wait still completes (with operation_aborted): part of the cost.
  void cancel_all() {
    for (auto& timer : timers) timer.cancel();
    io.poll();
  }

  asio::io_context& io;
  std::vector<asio::steady_timer> timers;
};

struct AsioCases {
  static double cross_thread_send_ns(const Params& params) {
    Loop loop(Loop::kStopped);
    return measure_cross_thread_send_ns(loop, params.send_count);
  }

  // Its callbacks only count: run() returns once they all ran.
  static double same_thread_send_ns(const Params& params) {
    Loop loop(Loop::kIdle);
    int done = 0;
    return measure_same_thread_send_ns(loop, params.send_count, [&done] { ++done; });
  }

  static TimerStats timers(const Params& params) {
    asio::io_context io;
    PlannedTimers planned(params.timer_count, params.timer_spread);
    TimerRecord& record = planned.record;
    SteadyTimers steady(io, params.timer_count);
    return measure_timers(
        planned, params.timer_lead,
        [&](int rank) {
          steady.start(record.deadline(rank),
                       [&record, rank](const asio::error_code&) { record.fire(rank); });
        },
        [&] { io.run(); });  // returns once every timer fired
  }

  static ScheduleCancelStats schedule_cancel(const Params& params, CancelOrder order) {
    asio::io_context io;
    PlannedTimers planned(params.cancel_count, params.timer_spread);
    TimerRecord& record = planned.record;
    SteadyTimers steady(io, params.cancel_count);
    return measure_schedule_cancel<DueAt::deadline>(
        planned, params.timer_lead, order,
        [&](int i, int rank) {
          steady.start(record.deadline(rank), [&record, i](const asio::error_code& error) {
            if (!error) record.fire(i);
          });
        },
        [&](int i) { steady.timers[i].cancel(); },
        [&] { io.poll(); });  // a cancelled wait still completes (operation_aborted)
  }

  static double round_trip_us(int round_trips) {
    Loop loop(Loop::kStopped);
    return measure_round_trip_us(loop, round_trips);
  }

  static double pending_callback_bytes(const Params& params) {
    Loop loop(Loop::kIdle);
    int done = 0;
    const double bytes =
        measure_pending_callback_bytes(loop, params.pending_count, [&done] { ++done; });
    loop.run();
    return bytes;
  }

  static double pending_timer_bytes(const Params& params) {
    asio::io_context io;
    SteadyTimers steady(io, params.pending_count);  // the caller's storage: counted as sizeof
    const auto deadline = Clock::now() + std::chrono::hours(1);
    int fired = 0;
    const double bytes =
        measure_pending_timer_bytes<asio::steady_timer>(params.pending_count, [&](int) {
          steady.start(deadline, [&fired](const asio::error_code& error) {
            if (!error) ++fired;
          });
        });
    steady.cancel_all();
    return bytes;
  }
};

}  // namespace

Contender asio_contender() {
  return contender<AsioCases>("asio");
}

}  // namespace bench
