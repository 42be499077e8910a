// Standalone asio, used the way its documentation shows: asio::post() onto an io_context
// run by the loop thread, one steady_timer per timer.
#include <asio.hpp>
#include <thread>

#include "harness.hpp"

namespace bench {
namespace {

double cross_thread_send_ns(const Params& params) {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  const int n = params.send_count;
  int done = 0;
  const auto start = Clock::now();
  std::thread producer([&] {
    for (int i = 0; i < n; ++i) {
      asio::post(io, [&done, &io, n] {
        if (++done == n) io.stop();
      });
    }
  });
  io.run();
  const auto end = Clock::now();
  producer.join();
  return ns_between(start, end) / n;
}

double same_thread_send_ns(const Params& params) {
  asio::io_context io;
  const int n = params.send_count;
  int done = 0;
  const double cpu_start = thread_cpu_ns();
  for (int i = 0; i < n; ++i) asio::post(io, [&done] { ++done; });
  io.run();  // returns once nothing is left
  return (thread_cpu_ns() - cpu_start) / n;
}

TimerStats timers(const Params& params) {
  asio::io_context io;
  const int n = params.timer_count;
  const TimerPlan plan = timer_plan(n, params.timer_spread);
  TimerRecord record(n, plan.step);
  std::vector<asio::steady_timer> timers;
  timers.reserve(n);
  const double cpu_start = thread_cpu_ns();
  record.base = Clock::now() + params.timer_lead;
  for (int i = 0; i < n; ++i) {
    const int rank = plan.order[i];
    timers.emplace_back(io, record.deadline(rank));
    timers.back().async_wait([&record, rank](const asio::error_code&) { record.fire(rank); });
  }
  io.run();  // returns once every timer fired
  TimerStats stats;
  stats.loop_cpu_ms = (thread_cpu_ns() - cpu_start) / 1e6;
  summarise_lateness(record.lateness_ns, stats);
  return stats;
}

double schedule_cancel_ns(const Params& params) {
  asio::io_context io;
  const int n = params.cancel_count;
  const TimerPlan plan = timer_plan(n, params.timer_spread);
  TimerRecord record(n, plan.step);
  std::vector<asio::steady_timer> timers;
  timers.reserve(n);
  const double cpu_start = thread_cpu_ns();
  record.base = Clock::now() + params.timer_lead;
  for (int i = 0; i < n; ++i) {
    timers.emplace_back(io, record.deadline(plan.order[i]));
    timers.back().async_wait([&record, i](const asio::error_code& error) {
      if (!error) record.fire(i);
    });
  }
  for (auto& timer : timers) timer.cancel();
  // A cancelled wait still completes (with operation_aborted): part of the cost.
  io.poll();
  return (thread_cpu_ns() - cpu_start) / n;
}

double round_trip_us(int round_trips) {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  FutexEvent reply;
  double elapsed_ns = 0;
  std::thread client([&] {
    const auto start = Clock::now();
    for (int i = 0; i < round_trips; ++i) {
      asio::post(io, [&reply] { reply.signal(); });
      reply.wait();
    }
    elapsed_ns = ns_between(start, Clock::now());
    asio::post(io, [&io] { io.stop(); });
  });
  io.run();
  client.join();
  return elapsed_ns / round_trips / 1e3;
}

double pending_callback_bytes(const Params& params) {
  asio::io_context io;
  const int n = params.pending_count;
  int done = 0;
  FutexEvent go, sent;
  std::thread producer([&] {
    go.wait();
    for (int i = 0; i < n; ++i) asio::post(io, [&done] { ++done; });
    sent.signal();
  });
  const double before = heap_in_use();
  go.signal();
  sent.wait();
  const double after = heap_in_use();
  producer.join();
  io.run();
  return (after - before) / n;
}

double pending_timer_bytes(const Params& params) {
  asio::io_context io;
  const int n = params.pending_count;
  std::vector<asio::steady_timer> timers;  // the caller's storage: counted as sizeof below
  timers.reserve(n);
  const auto deadline = Clock::now() + std::chrono::hours(1);
  int fired = 0;
  const double before = heap_in_use();
  for (int i = 0; i < n; ++i) {
    timers.emplace_back(io, deadline);
    timers.back().async_wait([&fired](const asio::error_code& error) {
      if (!error) ++fired;
    });
  }
  const double after = heap_in_use();
  for (auto& timer : timers) timer.cancel();
  io.poll();
  return (after - before) / n + sizeof(asio::steady_timer);
}

}  // namespace

Contender asio_contender() {
  Contender c;
  c.name = "asio";
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
