// The seed's way on Linux, in raw GLib: every message is a g_main_context_invoke_full()
// (an idle GSource per message), every timer its own g_timeout_source, cancel is
// g_source_destroy(). Closures are boxed on the heap as glib-rs boxes Rust closures.
//
// The loop thread acquires the default context before any other thread sends: otherwise
// g_main_context_invoke_full() from a thread without a thread-default context acquires the
// idle global default context itself and runs the callback inline, on the wrong thread.
#include <glib.h>

#include <cmath>
#include <type_traits>
#include <vector>

#include "harness.hpp"

namespace bench {
namespace {

template <class F>
gboolean call_once(gpointer data) {
  (*static_cast<F*>(data))();
  return G_SOURCE_REMOVE;
}

template <class F>
void destroy_box(gpointer data) {
  delete static_cast<F*>(data);
}

// The seed's schedule(): returns the source, which its handle keeps a reference to.
template <class F>
GSource* timeout(GMainContext* context, Clock::time_point deadline, F f) {
  // Whole milliseconds, rounded up so that it never fires early.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  GSource* source = g_timeout_source_new(static_cast<guint>(ms > 0 ? ms : 0));
  g_source_set_callback(source, call_once<F>, new F(std::move(f)), destroy_box<F>);
  g_source_attach(source, context);
  return source;
}

// The seed's cancel: destroys the source and drops the handle's reference.
void destroy(GSource* source) {
  g_source_destroy(source);
  g_source_unref(source);
}

// The loop thread's side of each case: owns the default context while the case runs.
struct Loop {
  Loop() : context(g_main_context_default()), main_loop(g_main_loop_new(context, FALSE)) {
    g_main_context_acquire(context);
  }
  ~Loop() {
    g_main_context_release(context);
    g_main_loop_unref(main_loop);
  }

  // The seed's send from another thread.
  template <class F>
  void send(F&& f) const {
    using Box = std::decay_t<F>;
    g_main_context_invoke_full(context, G_PRIORITY_DEFAULT, call_once<Box>,
                               new Box(std::forward<F>(f)), destroy_box<Box>);
  }
  // The seed's send on the loop thread: the queueing half of g_main_context_invoke_full(),
  // whose other half would run the callback inline, which the contract forbids.
  template <class F>
  void send_here(F&& f) const {
    using Box = std::decay_t<F>;
    GSource* source = g_idle_source_new();
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_callback(source, call_once<Box>, new Box(std::forward<F>(f)), destroy_box<Box>);
    g_source_attach(source, context);
    g_source_unref(source);
  }
  void run() const { g_main_loop_run(main_loop); }
  void stop() const { g_main_loop_quit(main_loop); }

  GMainContext* context;
  GMainLoop* main_loop;
};

// Cases 1, 2 and 4 are LoopCases' (harness.hpp).
struct SeedCases : LoopCases<Loop> {
  static TimerStats timers(const Params& params) {
    Loop loop;
    PlannedTimers planned(params.timer_count, params.timer_spread);
    TimerRecord& record = planned.record;
    return measure_timers(
        planned, params.timer_lead,
        [&](int rank) {
          g_source_unref(timeout(loop.context, record.deadline(rank), [&record, &loop, rank] {
            record.fire(rank);
            if (record.all_fired()) loop.stop();
          }));
        },
        [&] { loop.run(); });
  }

  static ScheduleCancelStats schedule_cancel(const Params& params, CancelOrder order) {
    Loop loop;
    PlannedTimers planned(params.cancel_count, params.timer_spread);
    TimerRecord& record = planned.record;
    std::vector<GSource*> handles;
    handles.reserve(params.cancel_count);
    return measure_schedule_cancel<DueAt::deadline>(
        planned, params.timer_lead, order,
        [&](int i, int rank) {
          handles.push_back(
              timeout(loop.context, record.deadline(rank), [&record, i] { record.fire(i); }));
        },
        [&](int i) { destroy(handles[i]); });
  }

  static double pending_callback_bytes(const Params& params) {
    Loop loop;
    const int n = params.pending_count;
    int done = 0;
    const double bytes = measure_pending_callback_bytes(loop, n, count_then_stop(done, loop, n));
    loop.run();  // drains them
    return bytes;
  }

  static double pending_timer_bytes(const Params& params) {
    Loop loop;
    int fired = 0;
    std::vector<GSource*> handles;  // the caller's storage: counted as sizeof
    handles.reserve(params.pending_count);
    const auto deadline = Clock::now() + std::chrono::hours(1);
    const double bytes = measure_pending_timer_bytes<GSource*>(params.pending_count, [&](int) {
      handles.push_back(timeout(loop.context, deadline, [&fired] { ++fired; }));
    });
    for (GSource* source : handles) destroy(source);
    return bytes;
  }
};

}  // namespace

Contender seed_contender() {
  return contender<SeedCases>("seed (GLib)");
}

}  // namespace bench
