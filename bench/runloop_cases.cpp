// The contender under test: this library, used through its public API only.
#include <thread>

#include "harness.hpp"
#include "runloop/runloop.hpp"

namespace bench {
namespace {

using runloop::Handle;
using runloop::RunLoop;
using runloop::Sender;

double cross_thread_send_ns(const Params& params) {
  auto guard = RunLoop::acquire();
  const RunLoop loop = RunLoop::current();
  const Sender sender = RunLoop::sender();
  const int n = params.send_count;
  int done = 0;  // loop thread only
  const auto start = Clock::now();
  std::thread producer([&] {
    for (int i = 0; i < n; ++i) {
      sender.send([&done, loop, n] {
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
  auto guard = RunLoop::acquire();
  const RunLoop loop = RunLoop::current();
  const Sender sender = RunLoop::sender();
  const int n = params.send_count;
  int done = 0;
  const double cpu_start = thread_cpu_ns();
  for (int i = 0; i < n; ++i) {
    sender.send([&done, loop, n] {
      if (++done == n) loop.stop();
    });
  }
  loop.run();
  return (thread_cpu_ns() - cpu_start) / n;
}

TimerStats timers(const Params& params) {
  auto guard = RunLoop::acquire();
  const RunLoop loop = RunLoop::current();
  const int n = params.timer_count;
  const TimerPlan plan = timer_plan(n, params.timer_spread);
  TimerRecord record(n, plan.step);
  const double cpu_start = thread_cpu_ns();
  record.base = Clock::now() + params.timer_lead;
  for (int i = 0; i < n; ++i) {
    const int rank = plan.order[i];
    loop.schedule_at(record.deadline(rank),
                     [&record, loop, rank] {
                       record.fire(rank);
                       if (record.all_fired()) loop.stop();
                     })
        .detach();
  }
  loop.run();
  TimerStats stats;
  stats.loop_cpu_ms = (thread_cpu_ns() - cpu_start) / 1e6;
  summarise_lateness(record.lateness_ns, stats);
  return stats;
}

double schedule_cancel_ns(const Params& params) {
  auto guard = RunLoop::acquire();
  const RunLoop loop = RunLoop::current();
  const int n = params.cancel_count;
  const TimerPlan plan = timer_plan(n, params.timer_spread);
  TimerRecord record(n, plan.step);
  std::vector<Handle> handles;
  handles.reserve(n);
  const double cpu_start = thread_cpu_ns();
  for (int i = 0; i < n; ++i) {
    const int rank = plan.order[i];
    handles.push_back(loop.schedule(params.timer_lead + plan.step * (rank + 1),
                                    [&record, rank] { record.fire(rank); }));
  }
  handles.clear();  // cancels each, in the order scheduled
  return (thread_cpu_ns() - cpu_start) / n;
}

double round_trip(int round_trips, bool use_send_and_wait) {
  auto guard = RunLoop::acquire();
  const RunLoop loop = RunLoop::current();
  const Sender sender = RunLoop::sender();
  FutexEvent reply;
  double elapsed_ns = 0;
  std::thread client([&] {
    const auto start = Clock::now();
    for (int i = 0; i < round_trips; ++i) {
      if (use_send_and_wait) {
        sender.send_and_wait([] {});
      } else {
        sender.send([&reply] { reply.signal(); });
        reply.wait();
      }
    }
    elapsed_ns = ns_between(start, Clock::now());
    sender.send([loop] { loop.stop(); });
  });
  loop.run();
  client.join();
  return elapsed_ns / round_trips / 1e3;
}

double round_trip_us(int round_trips) {
  return round_trip(round_trips, false);
}

double pending_callback_bytes(const Params& params) {
  auto guard = RunLoop::acquire();
  const Sender sender = RunLoop::sender();
  const int n = params.pending_count;
  int done = 0;
  FutexEvent go, sent;
  std::thread producer([&] {
    go.wait();
    for (int i = 0; i < n; ++i) sender.send([&done] { ++done; });
    sent.signal();
  });
  const double before = heap_in_use();
  go.signal();
  sent.wait();
  const double after = heap_in_use();
  producer.join();
  return (after - before) / n;  // the last deinit() destroys them unrun
}

double pending_timer_bytes(const Params& params) {
  auto guard = RunLoop::acquire();
  const RunLoop loop = RunLoop::current();
  const int n = params.pending_count;
  int fired = 0;
  std::vector<Handle> handles;  // the caller's storage: counted as sizeof below
  handles.reserve(n);
  const double before = heap_in_use();
  for (int i = 0; i < n; ++i) {
    handles.push_back(loop.schedule(std::chrono::hours(1), [&fired] { ++fired; }));
  }
  const double after = heap_in_use();
  return (after - before) / n + sizeof(Handle);
}

}  // namespace

Contender runloop_contender() {
  Contender c;
  c.name = "runloop";
  c.cross_thread_send_ns = cross_thread_send_ns;
  c.same_thread_send_ns = same_thread_send_ns;
  c.timers = timers;
  c.schedule_cancel_ns = schedule_cancel_ns;
  c.round_trip_us = round_trip_us;
  c.pending_callback_bytes = pending_callback_bytes;
  c.pending_timer_bytes = pending_timer_bytes;
  return c;
}

double runloop_send_and_wait_us(int round_trips) {
  return round_trip(round_trips, true);
}

}  // namespace bench
