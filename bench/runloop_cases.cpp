// The contender under test: this library, used through its public API only.
#include "harness.hpp"
#include "runloop/runloop.hpp"
#include "runloop_loop.hpp"

namespace bench {
namespace {

using runloop::Handle;
using runloop::RunLoop;

// The loop thread's side of the send cases (see harness.hpp).
struct Loop : AcquiredLoop {
  Loop() : AcquiredLoop(RunLoop::acquire()) {}
  void run() const { loop.run(); }
  void stop() const { loop.stop(); }
};

// Cases 1, 2 and 4 are LoopCases' (harness.hpp).
struct RunloopCases : LoopCases<Loop> {
  static TimerStats timers(const Params& params) {
    auto guard = RunLoop::acquire();
    const RunLoop loop = RunLoop::current();
    PlannedTimers planned(params.timer_count, params.timer_spread);
    TimerRecord& record = planned.record;
    return measure_timers(
        planned, params.timer_lead,
        [&](int rank) {
          loop.schedule_at(record.deadline(rank),
                           [&record, loop, rank] {
                             record.fire(rank);
                             if (record.all_fired()) loop.stop();
                           })
              .detach();
        },
        [&] { loop.run(); });
  }

  static ScheduleCancelStats schedule_cancel(const Params& params, CancelOrder order) {
    // At a deadline, as every peer is given its timers: the same work, no clock read.
    return schedule_cancel_as<DueAt::deadline>(params, order);
  }

  // 3d-g with runloop's schedule_at(deadline) or, for 3h, schedule(delay).
  template <DueAt due>
  static ScheduleCancelStats schedule_cancel_as(const Params& params, CancelOrder order) {
    auto guard = RunLoop::acquire();
    const RunLoop loop = RunLoop::current();
    PlannedTimers planned(params.cancel_count, params.timer_spread);
    TimerRecord& record = planned.record;
    std::vector<Handle> handles;
    handles.reserve(params.cancel_count);
    return measure_schedule_cancel<due>(
        planned, params.timer_lead, order,
        [&](int, int rank) {
          const auto fire = [&record, rank] { record.fire(rank); };
          if constexpr (due == DueAt::deadline) {
            handles.push_back(loop.schedule_at(record.deadline(rank), fire));
          } else {
            handles.push_back(
                loop.schedule(params.timer_lead + planned.plan.step * (rank + 1), fire));
          }
        },
        [&](int i) { handles[i].cancel(); });
  }

  static double pending_callback_bytes(const Params& params) {
    Loop loop;
    int done = 0;
    // Never run: the last deinit() destroys them.
    return measure_pending_callback_bytes(loop, params.pending_count, [&done] { ++done; });
  }

  static double pending_timer_bytes(const Params& params) {
    auto guard = RunLoop::acquire();
    const RunLoop loop = RunLoop::current();
    int fired = 0;
    std::vector<Handle> handles;  // the caller's storage: counted as sizeof
    handles.reserve(params.pending_count);
    return measure_pending_timer_bytes<Handle>(params.pending_count, [&](int) {
      handles.push_back(loop.schedule(std::chrono::hours(1), [&fired] { ++fired; }));
    });
  }
};

}  // namespace

Contender runloop_contender() {
  return contender<RunloopCases>("runloop");
}

double runloop_schedule_delay_ns(const Params& params) {
  return RunloopCases::schedule_cancel_as<DueAt::delay>(params, CancelOrder::random).schedule_ns;
}

double runloop_send_and_wait_us(int round_trips) {
  Loop loop;
  return measure_round_trip_us(loop, round_trips, [&loop] { loop.sender.send_and_wait([] {}); });
}

}  // namespace bench
