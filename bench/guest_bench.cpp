// runloop_guest_bench: how good a guest runloop is in a host's GLib loop, and how fast a
// chain of same-thread posts runs (each callback posts the next: the shape of a coroutine
// awaiting delay(0) in a loop). See docs/benchmarks.md ("Being a good guest").
//
// Usage: runloop_guest_bench [--quick]
//   1 host lateness: the host's own g_timeout_add(10 ms) callback, its extra delay per tick
//     (p50, p99, max over the ticks of 5 runs) with no flood, and while a worker sends
//     1 000 000 no-ops as fast as it can (runloop driven by the host's GLib iteration, as in
//     a plugin).
//   2 chain of same-thread posts [ns/step]: runloop Sender::send from the loop thread,
//     runloop co_await delay(0), raw GLib g_idle_add, and asio post when built in.
#include <glib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "runloop/runloop.hpp"

#if defined(RUNLOOP_BENCH_HAVE_ASIO)
#include <asio.hpp>
#endif

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// One host run: how late each of the host's ticks came, and the flood's throughput.
struct HostRun {
  std::vector<double> late_ms;
  double flood_ns_per_msg = 0;
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  return values[index];
}

// The host: GLib's default context, iterated until `done()`; its 10 ms timeout records how
// late each tick came after the previous one.
HostRun host_run(int flood_sends, std::chrono::milliseconds quiet_span) {
  auto guard = runloop::RunLoop::acquire();
  struct Ticks {
    Clock::time_point last;
    std::vector<double> late_ms;
  } ticks;
  ticks.last = Clock::now();
  const guint tick = g_timeout_add(
      10,
      [](gpointer data) -> gboolean {
        auto* t = static_cast<Ticks*>(data);
        const auto now = Clock::now();
        const auto gap = std::chrono::duration<double, std::milli>(now - t->last).count();
        t->late_ms.push_back(std::max(0.0, gap - 10.0));
        t->last = now;
        return G_SOURCE_CONTINUE;
      },
      &ticks);
  std::atomic<int> ran{0};
  HostRun result;
  const auto start = Clock::now();
  if (flood_sends > 0) {
    std::thread worker([sender = runloop::RunLoop::sender(), flood_sends, &ran] {
      for (int i = 0; i < flood_sends; ++i) {
        sender.send([&ran] { ran.fetch_add(1, std::memory_order_relaxed); });
      }
    });
    while (ran.load(std::memory_order_relaxed) < flood_sends) {
      g_main_context_iteration(nullptr, TRUE);
    }
    worker.join();
    result.flood_ns_per_msg =
        std::chrono::duration<double, std::nano>(Clock::now() - start).count() / flood_sends;
  } else {
    while (Clock::now() - start < quiet_span) g_main_context_iteration(nullptr, TRUE);
  }
  g_source_remove(tick);
  result.late_ms = std::move(ticks.late_ms);
  return result;
}

template <class F>
double ns_per_step(int steps, F&& run_chain) {
  const auto start = Clock::now();
  run_chain(steps);
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / steps;
}

void runloop_send_chain(int steps) {
  auto guard = runloop::RunLoop::acquire();
  const auto loop = runloop::RunLoop::current();
  const runloop::Sender sender = runloop::RunLoop::sender();
  int left = steps;
  std::function<void()> step = [&] {
    if (--left > 0) {
      sender.send(step);
    } else {
      loop.stop();
    }
  };
  sender.send(step);
  loop.run();
}

void runloop_delay_chain(int steps) {
  auto guard = runloop::RunLoop::acquire();
  const auto loop = runloop::RunLoop::current();
  loop.block_on([](runloop::RunLoop l, int n) -> runloop::Task<void> {
    for (int i = 0; i < n; ++i) co_await l.delay(0ms);
  }(loop, steps));
}

void glib_idle_chain(int steps) {
  struct Chain {
    int left;
    GMainLoop* loop;
  } chain{steps, g_main_loop_new(nullptr, FALSE)};
  struct Step {
    static gboolean run(gpointer data) {
      auto* c = static_cast<Chain*>(data);
      if (--c->left > 0) {
        g_idle_add(&Step::run, c);
      } else {
        g_main_loop_quit(c->loop);
      }
      return G_SOURCE_REMOVE;
    }
  };
  g_idle_add(&Step::run, &chain);
  g_main_loop_run(chain.loop);
  g_main_loop_unref(chain.loop);
}

#if defined(RUNLOOP_BENCH_HAVE_ASIO)
void asio_post_chain(int steps) {
  asio::io_context context;
  int left = steps;
  std::function<void()> step = [&] {
    if (--left > 0) asio::post(context, step);
  };
  asio::post(context, step);
  context.run();
}
#endif

template <class F>
double median_of(int reps, F&& measure) {
  std::vector<double> values;
  for (int i = 0; i < reps; ++i) values.push_back(measure());
  return percentile(values, 0.5);
}

// `reps` host runs, their ticks pooled: a 1e6-send flood lasts ~20 ticks, too few for a p99
// of one run to be more than its worst tick.
void print_host_runs(const char* label, int reps, int flood_sends,
                     std::chrono::milliseconds quiet_span) {
  std::vector<double> late_ms, flood_ns;
  for (int i = 0; i < reps; ++i) {
    HostRun run = host_run(flood_sends, quiet_span);
    late_ms.insert(late_ms.end(), run.late_ms.begin(), run.late_ms.end());
    flood_ns.push_back(run.flood_ns_per_msg);
  }
  const double max_ms = late_ms.empty() ? 0 : *std::max_element(late_ms.begin(), late_ms.end());
  std::printf("  %-34s %8.2f %8.2f %8.2f %7zu", label, percentile(late_ms, 0.5),
              percentile(late_ms, 0.99), max_ms, late_ms.size());
  if (flood_sends > 0) {
    std::printf(" %14.1f\n", percentile(flood_ns, 0.5));
  } else {
    std::printf(" %14s\n", "-");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int flood = quick ? 20'000 : 1'000'000;
  const int steps = quick ? 10'000 : 1'000'000;
  const int reps = quick ? 1 : 5;

  std::printf(
      "1 host lateness: a host g_timeout_add(10 ms), extra delay per tick [ms; ticks of %d "
      "runs pooled; flood: median]\n",
      reps);
  std::printf("  %-34s %8s %8s %8s %7s %14s\n", "", "p50", "p99", "max", "ticks", "flood ns/msg");
  print_host_runs("no flood", reps, 0, quick ? 100ms : 1000ms);
  print_host_runs("worker flooding 1e6 sends (runloop)", reps, flood, 0ms);

  std::printf("\n2 chain of same-thread posts, %d steps [ns/step, median of %d]\n", steps, reps);
  std::printf("  %-34s %8.1f\n", "runloop Sender::send",
              median_of(reps, [&] { return ns_per_step(steps, runloop_send_chain); }));
  std::printf("  %-34s %8.1f\n", "runloop co_await delay(0)",
              median_of(reps, [&] { return ns_per_step(steps, runloop_delay_chain); }));
  std::printf("  %-34s %8.1f\n", "raw GLib g_idle_add",
              median_of(reps, [&] { return ns_per_step(steps, glib_idle_chain); }));
#if defined(RUNLOOP_BENCH_HAVE_ASIO)
  std::printf("  %-34s %8.1f\n", "asio post",
              median_of(reps, [&] { return ns_per_step(steps, asio_post_chain); }));
#endif
  return 0;
}
