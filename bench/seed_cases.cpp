// The seed's way on Linux, in raw GLib: every message is a g_main_context_invoke_full()
// (an idle GSource per message), every timer its own g_timeout_source, cancel is
// g_source_destroy(). Closures are boxed on the heap as glib-rs boxes Rust closures.
//
// The loop thread acquires the default context before any other thread sends: otherwise
// g_main_context_invoke_full() from a thread without a thread-default context acquires the
// idle global default context itself and runs the callback inline, on the wrong thread.
#include <glib.h>

#include <cmath>
#include <thread>

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

// The seed's send from another thread.
template <class F>
void invoke(GMainContext* context, F f) {
  g_main_context_invoke_full(context, G_PRIORITY_DEFAULT, call_once<F>, new F(std::move(f)),
                             destroy_box<F>);
}

// The seed's send on the loop thread: the queueing half of g_main_context_invoke_full(),
// whose other half would run the callback inline, which the contract forbids.
template <class F>
void idle(GMainContext* context, F f) {
  GSource* source = g_idle_source_new();
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  g_source_set_callback(source, call_once<F>, new F(std::move(f)), destroy_box<F>);
  g_source_attach(source, context);
  g_source_unref(source);
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

// The loop thread's side of each case: owns the default context while the case runs.
struct Loop {
  Loop() : context(g_main_context_default()), main_loop(g_main_loop_new(context, FALSE)) {
    g_main_context_acquire(context);
  }
  ~Loop() {
    g_main_context_release(context);
    g_main_loop_unref(main_loop);
  }
  void run() const { g_main_loop_run(main_loop); }
  void quit() const { g_main_loop_quit(main_loop); }

  GMainContext* context;
  GMainLoop* main_loop;
};

double cross_thread_send_ns(const Params& params) {
  Loop loop;
  const int n = params.send_count;
  int done = 0;
  const auto start = Clock::now();
  std::thread producer([&] {
    for (int i = 0; i < n; ++i) {
      invoke(loop.context, [&done, &loop, n] {
        if (++done == n) loop.quit();
      });
    }
  });
  loop.run();
  const auto end = Clock::now();
  producer.join();
  return ns_between(start, end) / n;
}

double same_thread_send_ns(const Params& params) {
  Loop loop;
  const int n = params.send_count;
  int done = 0;
  const double cpu_start = thread_cpu_ns();
  for (int i = 0; i < n; ++i) {
    idle(loop.context, [&done, &loop, n] {
      if (++done == n) loop.quit();
    });
  }
  loop.run();
  return (thread_cpu_ns() - cpu_start) / n;
}

TimerStats timers(const Params& params) {
  Loop loop;
  const int n = params.timer_count;
  const TimerPlan plan = timer_plan(n, params.timer_spread);
  TimerRecord record(n, plan.step);
  const double cpu_start = thread_cpu_ns();
  record.base = Clock::now() + params.timer_lead;
  for (int i = 0; i < n; ++i) {
    const int rank = plan.order[i];
    g_source_unref(timeout(loop.context, record.deadline(rank), [&record, &loop, rank] {
      record.fire(rank);
      if (record.all_fired()) loop.quit();
    }));
  }
  loop.run();
  TimerStats stats;
  stats.loop_cpu_ms = (thread_cpu_ns() - cpu_start) / 1e6;
  summarise_lateness(record.lateness_ns, stats);
  return stats;
}

double schedule_cancel_ns(const Params& params) {
  Loop loop;
  const int n = params.cancel_count;
  const TimerPlan plan = timer_plan(n, params.timer_spread);
  TimerRecord record(n, plan.step);
  std::vector<GSource*> handles;
  handles.reserve(n);
  const double cpu_start = thread_cpu_ns();
  record.base = Clock::now() + params.timer_lead;
  for (int i = 0; i < n; ++i) {
    handles.push_back(
        timeout(loop.context, record.deadline(plan.order[i]), [&record, i] { record.fire(i); }));
  }
  for (GSource* source : handles) {
    g_source_destroy(source);
    g_source_unref(source);
  }
  return (thread_cpu_ns() - cpu_start) / n;
}

double round_trip_us(int round_trips) {
  Loop loop;
  FutexEvent reply;
  double elapsed_ns = 0;
  std::thread client([&] {
    const auto start = Clock::now();
    for (int i = 0; i < round_trips; ++i) {
      invoke(loop.context, [&reply] { reply.signal(); });
      reply.wait();
    }
    elapsed_ns = ns_between(start, Clock::now());
    invoke(loop.context, [&loop] { loop.quit(); });
  });
  loop.run();
  client.join();
  return elapsed_ns / round_trips / 1e3;
}

double pending_callback_bytes(const Params& params) {
  Loop loop;
  const int n = params.pending_count;
  int done = 0;
  FutexEvent go, sent;
  std::thread producer([&] {
    go.wait();
    for (int i = 0; i < n; ++i) {
      invoke(loop.context, [&done, &loop, n] {
        if (++done == n) loop.quit();
      });
    }
    sent.signal();
  });
  const double before = heap_in_use();
  go.signal();
  sent.wait();
  const double after = heap_in_use();
  producer.join();
  loop.run();  // drains them
  return (after - before) / n;
}

double pending_timer_bytes(const Params& params) {
  Loop loop;
  const int n = params.pending_count;
  int fired = 0;
  std::vector<GSource*> handles;  // the caller's storage: counted as sizeof below
  handles.reserve(n);
  const auto deadline = Clock::now() + std::chrono::hours(1);
  const double before = heap_in_use();
  for (int i = 0; i < n; ++i) {
    handles.push_back(timeout(loop.context, deadline, [&fired] { ++fired; }));
  }
  const double after = heap_in_use();
  for (GSource* source : handles) {
    g_source_destroy(source);
    g_source_unref(source);
  }
  return (after - before) / n + sizeof(GSource*);
}

}  // namespace

Contender seed_contender() {
  Contender c;
  c.name = "seed (GLib)";
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
