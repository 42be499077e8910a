// runloop_bench: this library side by side with the seed's way (raw GLib), a hand-written
// single-GSource timer heap and, when they were found at configure time, standalone asio and
// libuv, in one run, as one table.
//
// Usage: runloop_bench [--quick] [--reps N] [--only 1,3,...]
//   --quick   small sizes and one repetition: a smoke test, the figures mean nothing
//   --reps N  repetitions of every measurement (medians are printed); default 5 (timers 3)
//   --only    run only the listed cases (1 cross-thread send, 2 same-thread send,
//             3 timers, 4 round trip, 5 memory, 6 tasks, 7 real-time hand-off,
//             8 host-driven mode: its rows 8a-8e come with cases 1-4, 8f with 8)
//   --contender NAME  measure only the contenders whose name starts with NAME, and no
//             floors (for profiling one of them under perf or callgrind)
#include <malloc.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "harness.hpp"
#include "realtime_cases.hpp"
#include "task_cases.hpp"

namespace bench {
namespace {

struct Options {
  bool quick = false;
  int reps = 0;  // 0: the default of each case
  std::set<int> only;
  std::string contender;  // empty: all
};

class Samples {
 public:
  void add(double value) { values_.push_back(value); }
  std::optional<double> median() const {
    if (values_.empty()) return std::nullopt;
    std::vector<double> sorted = values_;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t mid = sorted.size() / 2;
    return sorted.size() % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

 private:
  std::vector<double> values_;
};

// Every metric of one contender.
struct Results {
  Samples cross_send, same_send, timer_cpu, timer_schedule_cpu, timer_faults, late_median, late_p99;
  Samples schedule_cancel_fifo, schedule_cancel_random, schedule_alone, cancel_random;
  Samples rt_pinned, rt_unpinned, pending_callback, pending_timer;
};

// Runs `body` with the calling thread, and every thread it creates, on CPU 0 only.
void pinned_to_cpu0(const std::function<void()>& body) {
  cpu_set_t saved;
  CPU_ZERO(&saved);
  sched_getaffinity(0, sizeof(saved), &saved);
  cpu_set_t cpu0;
  CPU_ZERO(&cpu0);
  CPU_SET(0, &cpu0);
  if (sched_setaffinity(0, sizeof(cpu0), &cpu0) != 0) std::perror("sched_setaffinity");
  body();
  sched_setaffinity(0, sizeof(saved), &saved);
}

// Runs `measure` in a forked child and returns its result. Every measurement gets a fresh
// process: no contender inherits another's heap fragmentation (measured: runloop's
// same-thread send went from 18 to 50 ns/msg after the seed's million GSources were freed,
// all in malloc_consolidate), GLib default context, or leftover threads. With `warm_up`
// the child runs the case twice unmeasured first, so that the figure is the code's steady
// state rather than the first touch of fresh pages (~30 ns/msg for 1M pending callbacks).
// Twice, because the run right after the first one still faulted in fresh pages: the
// allocator's layout shifts between runs (100k timers: ~2500 page faults in the first run,
// ~350 in the second, none in the third; a fault costs 1-20 µs of CPU on this VM).
template <class T>
T in_child(bool warm_up, const std::function<T()>& measure) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    std::exit(1);
  }
  if (pid == 0) {
    close(fds[0]);
    if (warm_up) {
      // Keep freed memory in the heap (glibc would hand big blocks back to the kernel and
      // the measured run would fault them in again), then run twice to warm it.
      mallopt(M_MMAP_THRESHOLD, 32 << 20);
      mallopt(M_TRIM_THRESHOLD, 1 << 30);
      measure();
      measure();
    }
    const T value = measure();
    const bool written = write(fds[1], &value, sizeof(value)) == sizeof(value);
    _exit(written ? 0 : 1);
  }
  close(fds[1]);
  T value{};
  const bool complete = read(fds[0], &value, sizeof(value)) == sizeof(value);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!complete || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "runloop_bench: a measurement failed (child status %d)\n", status);
    std::exit(1);
  }
  return value;
}

std::string format_value(std::optional<double> value) {
  if (!value) return "n/a";
  char text[32];
  const double v = *value;
  const double magnitude = std::fabs(v);
  std::snprintf(text, sizeof(text),
                magnitude >= 100  ? "%.0f"
                : magnitude >= 10 ? "%.1f"
                                  : "%.2f",
                v);
  return text;
}

std::string format_ratio(std::optional<double> ours, std::optional<double> other) {
  if (!ours || !other || *other == 0) return "";
  char text[32];
  const double ratio = *ours / *other;
  std::snprintf(text, sizeof(text), ratio < 0.1 ? "%.3fx" : "%.2fx", ratio);
  return text;
}

struct Row {
  std::string label;
  std::optional<double> ours, seed, floor, asio, libuv, gsource;
  std::string floor_name;
  std::string target;
  std::optional<bool> met;
};

void print_table(const std::vector<Row>& rows) {
  std::printf("%-44s %9s %9s %9s %14s %9s %9s %9s %9s  %-18s %s\n", "case", "runloop", "seed",
              "ours/seed", "floor", "ours/floor", "asio", "libuv", "gsource", "target", "status");
  for (const Row& row : rows) {
    const std::string floor =
        row.floor ? format_value(row.floor) + " " + row.floor_name : std::string();
    const char* status = !row.met ? "" : *row.met ? "met" : "MISSED";
    std::printf("%-44s %9s %9s %9s %14s %9s %9s %9s %9s  %-18s %s\n", row.label.c_str(),
                format_value(row.ours).c_str(), format_value(row.seed).c_str(),
                format_ratio(row.ours, row.seed).c_str(), floor.c_str(),
                format_ratio(row.ours, row.floor).c_str(), format_value(row.asio).c_str(),
                format_value(row.libuv).c_str(), format_value(row.gsource).c_str(),
                row.target.c_str(), status);
  }
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      options.quick = true;
    } else if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
      options.reps = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      for (const char* p = argv[++i]; *p != '\0'; ++p) {
        if (*p >= '1' && *p <= '8') options.only.insert(*p - '0');
      }
    } else if (std::strcmp(argv[i], "--contender") == 0 && i + 1 < argc) {
      options.contender = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s [--quick] [--reps N] [--only 1,2,3,4,5,6,7,8] [--contender NAME]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  return options;
}

void print_header(const Options& options, const Params& params,
                  const std::vector<Contender>& contenders) {
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M", std::localtime(&now));
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf("runloop_bench  %s  %ld CPUs  load average %.2f %.2f %.2f%s\n", date,
              sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2],
              options.quick ? "  (--quick: smoke run, sizes too small to mean anything)" : "");
  std::printf("contenders:");
  for (const Contender& c : contenders) std::printf(" %s", c.name);
  std::printf("  (medians of the repetitions; n/a = not built in)\n");
  std::printf(
      "sizes: %d sends, %d timers over %lld ms, %d schedule+cancel, %d/%d round trips "
      "(pinned/unpinned), %d pending\n\n",
      params.send_count, params.timer_count,
      static_cast<long long>(params.timer_spread.count() / 1000000), params.cancel_count,
      params.round_trips_pinned, params.round_trips_unpinned, params.pending_count);
  std::fflush(stdout);
}

}  // namespace

int run(int argc, char** argv) {
  const Options options = parse(argc, argv);
  Params params;
  if (options.quick) {
    params.send_count = 20'000;
    params.timer_count = 2'000;
    params.timer_spread = std::chrono::milliseconds(50);
    params.timer_lead = std::chrono::milliseconds(20);
    params.cancel_count = 10'000;
    params.round_trips_pinned = 500;
    params.round_trips_unpinned = 100;
    params.pending_count = 10'000;
  }
  const int reps = options.reps > 0 ? options.reps : options.quick ? 1 : 5;
  const int timer_reps = options.reps > 0 ? options.reps : options.quick ? 1 : 3;
  const auto wanted = [&](int which) { return options.only.empty() || options.only.count(which); };

  std::vector<Contender> contenders = {runloop_contender(), seed_contender(),
                                       runloop_host_driven_contender()};
#if defined(RUNLOOP_BENCH_HAVE_ASIO)
  contenders.push_back(asio_contender());
#endif
#if defined(RUNLOOP_BENCH_HAVE_LIBUV)
  contenders.push_back(libuv_contender());
#endif
  contenders.push_back(gsource_contender());
  if (!options.contender.empty()) {
    // Profiling one contender (perf, callgrind): keep it alone.
    std::erase_if(contenders, [&](const Contender& c) {
      return std::string(c.name).rfind(options.contender, 0) != 0;
    });
  }
  print_header(options, params, contenders);

  const bool floors = options.contender.empty();
  std::vector<Results> results(contenders.size());
  Samples floor_queue, condvar_pinned, condvar_unpinned, futex_pinned, futex_unpinned;
  Samples send_wait_pinned, send_wait_unpinned;
  Samples poll_cpu, poll_late_median, poll_late_p99, clock_read, schedule_delay;
  std::vector<int> task_counts = {10'000, 100'000, 1'000'000};
  if (options.quick) task_counts = {1'000, 10'000};
  std::vector<Samples> task_spawn(task_counts.size()), task_delay(task_counts.size());
  std::vector<Samples> task_bytes(task_counts.size());
  Samples task_frame_bytes;
  Samples rt_send, rt_send_floor, rt_send_full, rt_idle_none, rt_idle_one, rt_idle_ten;
  Samples rt_idle_floor;
  Samples idle_dispatch, idle_dispatch_floor;
  const double rt_idle_seconds = options.quick ? 0.2 : 2.0;
  const auto start = Clock::now();
  const auto progress = [](const char* what) { std::fprintf(stderr, "  measuring %s...\n", what); };

  // Repetitions interleave the contenders, so that a burst of load from the other users of
  // the machine spreads over all of them instead of hitting one. Each measurement runs in
  // its own child process (see in_child).
  constexpr bool kWarm = true, kCold = false;
  using Measure = std::function<double()>;
  // Contender c's `measure(arg)`, in a child process, into its `metric`.
  const auto measure_one = [&](std::size_t c, bool warm, auto measure, Samples Results::*metric,
                               const auto& arg) {
    const auto f = contenders[c].*measure;
    if (f == nullptr) return;  // not measured for this contender
    (results[c].*metric).add(in_child<double>(warm, [&] { return f(arg); }));
  };
  // One repetition of a case: every contender's `measure(arg)` in turn.
  const auto each_contender = [&](bool warm, auto measure, Samples Results::*metric,
                                  const auto& arg) {
    for (std::size_t c = 0; c < contenders.size(); ++c) measure_one(c, warm, measure, metric, arg);
  };
  // A floor's `measure(params)`, in a child process, into `samples`.
  const auto measure_floor = [&](bool warm, double (*measure)(const Params&), Samples& samples) {
    if (floors) samples.add(in_child<double>(warm, [&] { return measure(params); }));
  };
  if (wanted(1)) {
    progress("1 cross-thread send");
    for (int rep = 0; rep < reps; ++rep) {
      each_contender(kWarm, &Contender::cross_thread_send_ns, &Results::cross_send, params);
      measure_floor(kWarm, floor_mutex_queue_ns, floor_queue);
    }
  }
  if (wanted(2)) {
    progress("2 same-thread send");
    for (int rep = 0; rep < reps; ++rep) {
      each_contender(kWarm, &Contender::same_thread_send_ns, &Results::same_send, params);
    }
  }
  if (wanted(3)) {
    progress("3 timers");
    for (int rep = 0; rep < timer_reps; ++rep) {
      for (std::size_t c = 0; c < contenders.size(); ++c) {
        // Cold: a warm-up would cost another second per run.
        const auto f = contenders[c].timers;
        if (f == nullptr) continue;
        const TimerStats stats = in_child<TimerStats>(kCold, [&] { return f(params); });
        results[c].timer_cpu.add(stats.loop_cpu_ms);
        results[c].timer_schedule_cpu.add(stats.schedule_cpu_ms);
        results[c].timer_faults.add(stats.faults_per_1k);
        results[c].late_median.add(stats.lateness_median_us);
        results[c].late_p99.add(stats.lateness_p99_us);
      }
      if (floors) {
        const TimerStats stats =
            in_child<TimerStats>(kCold, [&] { return floor_ms_poll_timers(params); });
        poll_cpu.add(stats.loop_cpu_ms);
        poll_late_median.add(stats.lateness_median_us);
        poll_late_p99.add(stats.lateness_p99_us);
      }
    }
    for (int rep = 0; rep < reps; ++rep) {
      for (std::size_t c = 0; c < contenders.size(); ++c) {
        const auto f = contenders[c].schedule_cancel;
        if (f == nullptr) continue;
        const ScheduleCancelStats fifo =
            in_child<ScheduleCancelStats>(kWarm, [&] { return f(params, CancelOrder::fifo); });
        const ScheduleCancelStats random =
            in_child<ScheduleCancelStats>(kWarm, [&] { return f(params, CancelOrder::random); });
        results[c].schedule_cancel_fifo.add(fifo.total_ns());
        results[c].schedule_cancel_random.add(random.total_ns());
        // The scheduling phase is the same in both runs: each contributes a sample.
        results[c].schedule_alone.add(fifo.schedule_ns);
        results[c].schedule_alone.add(random.schedule_ns);
        results[c].cancel_random.add(random.cancel_ns);
      }
      measure_floor(kWarm, floor_clock_read_ns, clock_read);
      if (options.contender.empty() || options.contender.rfind("runloop", 0) == 0) {
        schedule_delay.add(
            in_child<double>(kWarm, [&] { return runloop_schedule_delay_ns(params); }));
      }
    }
  }
  if (wanted(4)) {
    progress("4 round trips");
    const auto round_trips = [&](bool pinned, int n) {
      each_contender(kCold, &Contender::round_trip_us,
                     pinned ? &Results::rt_pinned : &Results::rt_unpinned, n);
      if (floors) {
        const Measure send_wait = [&] { return runloop_send_and_wait_us(n); };
        const Measure condvar = [&] { return floor_condvar_round_trip_us(n); };
        const Measure futex = [&] { return floor_futex_round_trip_us(n); };
        (pinned ? send_wait_pinned : send_wait_unpinned).add(in_child<double>(kCold, send_wait));
        (pinned ? condvar_pinned : condvar_unpinned).add(in_child<double>(kCold, condvar));
        (pinned ? futex_pinned : futex_unpinned).add(in_child<double>(kCold, futex));
      }
    };
    for (int rep = 0; rep < reps; ++rep) {
      pinned_to_cpu0([&] { round_trips(true, params.round_trips_pinned); });
      round_trips(false, params.round_trips_unpinned);
    }
  }
  if (wanted(5)) {
    progress("5 memory");
    // Allocation patterns are deterministic: one pass is enough, two guard against a fluke.
    for (int rep = 0; rep < std::min(reps, 2); ++rep) {
      for (std::size_t c = 0; c < contenders.size(); ++c) {
        measure_one(c, kCold, &Contender::pending_callback_bytes, &Results::pending_callback,
                    params);
        measure_one(c, kCold, &Contender::pending_timer_bytes, &Results::pending_timer, params);
      }
    }
  }

  if (wanted(6) && (options.contender.empty() || options.contender.rfind("runloop", 0) == 0)) {
    progress("6 tasks");
    for (int rep = 0; rep < reps; ++rep) {
      for (std::size_t i = 0; i < task_counts.size(); ++i) {
        const int n = task_counts[i];
        task_spawn[i].add(in_child<double>(kWarm, [n] { return task_spawn_complete_ns(n); }));
        task_delay[i].add(in_child<double>(kWarm, [n] { return task_delay_zero_ns(n); }));
      }
    }
    for (std::size_t i = 0; i < task_counts.size(); ++i) {  // the heap's growth: no noise
      const int n = task_counts[i];
      const TaskBytes bytes = in_child<TaskBytes>(kCold, [n] { return task_suspended_bytes(n); });
      task_bytes[i].add(bytes.beyond_frame);
      if (i == 0) task_frame_bytes.add(bytes.frame);
    }
  }

  if (wanted(7) && (options.contender.empty() || options.contender.rfind("runloop", 0) == 0)) {
    progress("7 real-time hand-off");
    const int values = options.quick ? 100'000 : 2'000'000;
    constexpr int kBurst = 16'384;  // 64 KiB of floats
    for (int rep = 0; rep < reps; ++rep) {
      rt_send.add(in_child<double>(kWarm, [&] { return realtime_try_send_ns(values, kBurst); }));
      if (floors) {
        rt_send_floor.add(
            in_child<double>(kWarm, [&] { return floor_spsc_push_ns(values, kBurst); }));
      }
      rt_send_full.add(in_child<double>(kWarm, [&] { return realtime_try_send_full_ns(values); }));
    }
    // Cold and fewer: each runs the loop for rt_idle_seconds.
    for (int rep = 0; rep < std::min(reps, 3); ++rep) {
      rt_idle_none.add(
          in_child<double>(kCold, [&] { return realtime_idle_cpu_ms_per_s(0, rt_idle_seconds); }));
      rt_idle_one.add(
          in_child<double>(kCold, [&] { return realtime_idle_cpu_ms_per_s(1, rt_idle_seconds); }));
      rt_idle_ten.add(
          in_child<double>(kCold, [&] { return realtime_idle_cpu_ms_per_s(10, rt_idle_seconds); }));
      if (floors) {
        rt_idle_floor.add(
            in_child<double>(kCold, [&] { return floor_sleep_cpu_ms_per_s(rt_idle_seconds); }));
      }
    }
  }

  if (wanted(8) && (options.contender.empty() || options.contender.rfind("runloop", 0) == 0)) {
    progress("8 host-driven dispatch()");
    const int calls = options.quick ? 10'000 : 1'000'000;
    for (int rep = 0; rep < reps; ++rep) {
      idle_dispatch.add(
          in_child<double>(kWarm, [&] { return host_driven_idle_dispatch_ns(calls); }));
      if (floors) {
        idle_dispatch_floor.add(
            in_child<double>(kWarm, [&] { return floor_empty_pipe_read_ns(calls); }));
      }
    }
  }

  // The table: runloop is contender 0, the seed 1; asio and libuv where built in.
  const auto column = [&](const char* name, Samples Results::*metric) -> std::optional<double> {
    for (std::size_t c = 0; c < contenders.size(); ++c) {
      if (std::strcmp(contenders[c].name, name) == 0) return (results[c].*metric).median();
    }
    return std::nullopt;
  };
  const auto make_row = [&](std::string label, Samples Results::*metric) {
    Row row;
    row.label = std::move(label);
    row.ours = column("runloop", metric);
    row.seed = column("seed (GLib)", metric);
    row.asio = column("asio", metric);
    row.libuv = column("libuv", metric);
    row.gsource = column("gsource", metric);
    return row;
  };
  // A row of runloop alone.
  const auto runloop_row = [](std::string label, const Samples& ours) {
    Row row;
    row.label = std::move(label);
    row.ours = ours.median();
    return row;
  };
  // `row` against the floor `floor_name`.
  const auto against = [](Row row, const Samples& floor, const char* floor_name) {
    row.floor = floor.median();
    row.floor_name = floor_name;
    return row;
  };
  // `row` with a target that runloop's figure meets when no peer's figure is lower.
  const auto at_most_best_peer = [](Row row) {
    row.target = "<= best peer";
    std::optional<double> best;
    for (const auto& peer : {row.seed, row.asio, row.libuv, row.gsource}) {
      if (peer && (!best || *peer < *best)) best = peer;
    }
    if (row.ours && best) row.met = *row.ours <= *best;
    return row;
  };
  // `row` with a target that runloop's figure meets when at most `limit`.
  const auto at_most = [](Row row, const char* target, double limit) {
    row.target = target;
    if (row.ours) row.met = *row.ours <= limit;
    return row;
  };
  std::vector<Row> rows;
  if (wanted(1)) {
    rows.push_back(at_most(against(make_row("1 cross-thread send [ns/msg]", &Results::cross_send),
                                   floor_queue, "mutexq"),
                           "<= 60 ns", 60));
  }
  if (wanted(2)) {
    rows.push_back(
        at_most(make_row("2 same-thread send [CPU ns/msg]", &Results::same_send), "<= 30 ns", 30));
  }
  if (wanted(3)) {
    rows.push_back(at_most(against(make_row("3a timers: loop-thread CPU [ms]", &Results::timer_cpu),
                                   poll_cpu, "mspoll"),
                           "<= 50 ms", 50));
    rows.push_back(make_row("3a'  of which scheduling [ms]", &Results::timer_schedule_cpu));
    rows.push_back(make_row("3a\"  page faults meanwhile [per 1k timers]", &Results::timer_faults));
    rows.push_back(against(make_row("3b timers: lateness median [us]", &Results::late_median),
                           poll_late_median, "mspoll"));
    rows.push_back(at_most(against(make_row("3c timers: lateness p99 [us]", &Results::late_p99),
                                   poll_late_p99, "mspoll"),
                           "<= 2000 us idle", 2000));
    rows.push_back(at_most(
        make_row("3d schedule + cancel, FIFO [CPU ns/timer]", &Results::schedule_cancel_fifo),
        "<= 60 ns", 60));
    rows.push_back(at_most_best_peer(
        make_row("3e schedule + cancel, random [CPU ns/timer]", &Results::schedule_cancel_random)));
    rows.push_back(make_row("3f   of which schedule [CPU ns/timer]", &Results::schedule_alone));
    rows.push_back(
        make_row("3g   of which cancel, random [CPU ns/timer]", &Results::cancel_random));
    if (schedule_delay.median()) {
      rows.push_back(
          at_most(against(runloop_row("3h schedule(delay) alone [CPU ns/timer]", schedule_delay),
                          clock_read, "clock"),
                  "<= 100 ns", 100));
    }
  }
  if (wanted(4)) {
    Row pinned = against(make_row("4a round trip, pinned to CPU 0 [us]", &Results::rt_pinned),
                         condvar_pinned, "condvar");
    pinned.target = "<= 1.3x condvar";
    if (pinned.ours && pinned.floor) pinned.met = *pinned.ours <= 1.3 * *pinned.floor;
    rows.push_back(pinned);
    rows.push_back(against(make_row("4a' same, against the futex floor", &Results::rt_pinned),
                           futex_pinned, "futex"));
    rows.push_back(against(runloop_row("4a\" send_and_wait, pinned [us]", send_wait_pinned),
                           condvar_pinned, "condvar"));
    rows.push_back(against(make_row("4b round trip, unpinned [us]", &Results::rt_unpinned),
                           condvar_unpinned, "condvar"));
    rows.push_back(against(make_row("4b' same, against the futex floor", &Results::rt_unpinned),
                           futex_unpinned, "futex"));
    rows.push_back(against(runloop_row("4b\" send_and_wait, unpinned [us]", send_wait_unpinned),
                           condvar_unpinned, "condvar"));
  }
  if (wanted(5)) {
    rows.push_back(make_row("5a heap per pending callback [bytes]", &Results::pending_callback));
    rows.push_back(make_row("5b heap per pending timer [bytes]", &Results::pending_timer));
  }
  if (wanted(6) && task_bytes.front().median()) {
    const auto n_of = [&](std::size_t i) { return "N=" + std::to_string(task_counts[i]); };
    for (std::size_t i = 0; i < task_counts.size(); ++i) {
      const std::string label = "6a spawn + complete, " + n_of(i) + " [CPU ns/task]";
      rows.push_back(at_most(runloop_row(label, task_spawn[i]), "<= 200 ns, flat in N", 200));
    }
    for (std::size_t i = 0; i < task_counts.size(); ++i) {
      const std::string label = "6b spawn + delay(0), " + n_of(i) + " [CPU ns/task]";
      rows.push_back(at_most(runloop_row(label, task_delay[i]), "<= 500 ns, flat in N", 500));
    }
    for (std::size_t i = 0; i < task_counts.size(); ++i) {
      const std::string label = "6c heap per task, " + n_of(i) + " [B beyond frame]";
      rows.push_back(at_most(runloop_row(label, task_bytes[i]), "<= 160 B, flat in N", 160));
    }
    rows.push_back(runloop_row("6c' its coroutine frame [B]", task_frame_bytes));
  }
  if (wanted(7) && rt_send.median()) {
    rows.push_back(
        at_most(against(runloop_row("7a try_send, ring with room [CPU ns/value]", rt_send),
                        rt_send_floor, "spsc"),
                "<= 20 ns", 20));
    rows.push_back(runloop_row("7b try_send, ring full [CPU ns/value]", rt_send_full));
    rows.push_back(runloop_row("7c idle loop, no sender [CPU ms/s]", rt_idle_none));
    rows.push_back(
        at_most(against(runloop_row("7d 1 idle sender, 10 ms polls [CPU ms/s]", rt_idle_one),
                        rt_idle_floor, "sleep"),
                "< 1 ms/s", 1));
    rows.push_back(against(runloop_row("7e 10 idle senders, 10 ms polls [CPU ms/s]", rt_idle_ten),
                           rt_idle_floor, "sleep"));
  }
  // 8: host-driven mode under a poll() host, against runloop's own GLib mode.
  const auto host_driven_row = [&](std::string label, Samples Results::*metric, bool target) {
    Row row;
    row.label = std::move(label);
    row.ours = column("runloop host-driven", metric);
    row.floor = column("runloop", metric);
    row.floor_name = "glib mode";
    if (target) {
      row.target = "<= 1.2x GLib mode";
      if (row.ours && row.floor) row.met = *row.ours <= 1.2 * *row.floor;
    }
    return row;
  };
  if (wanted(1)) {
    rows.push_back(
        host_driven_row("8a host-driven: cross-thread send [ns/msg]", &Results::cross_send, true));
  }
  if (wanted(2)) {
    rows.push_back(host_driven_row("8b host-driven: same-thread send [CPU ns/msg]",
                                   &Results::same_send, false));
  }
  if (wanted(3)) {
    rows.push_back(host_driven_row("8c host-driven: timer lateness median [us]",
                                   &Results::late_median, false));
    rows.push_back(
        host_driven_row("8c' host-driven: timer lateness p99 [us]", &Results::late_p99, false));
  }
  if (wanted(4)) {
    rows.push_back(
        host_driven_row("8d host-driven: round trip, pinned [us]", &Results::rt_pinned, true));
    rows.push_back(
        host_driven_row("8e host-driven: round trip, unpinned [us]", &Results::rt_unpinned, false));
  }
  if (wanted(8) && idle_dispatch.median()) {
    rows.push_back(
        against(runloop_row("8f host-driven: idle dispatch() [CPU ns/call]", idle_dispatch),
                idle_dispatch_floor, "read"));
  }
  print_table(rows);
  std::printf(
      "\nnotes: 1 = one producer thread, loop thread in run() until all ran; floor = bare "
      "mutex queue, consumer polling.\n"
      "       2 = sent from the loop thread, then run() until all ran (seed: one idle GSource "
      "each).\n"
      "       CPU = CPU time of the loop thread (single-threaded cases: robust on a loaded "
      "machine); else wall time.\n"
      "       Every figure comes from a fresh child process; 1, 2 and 3d-g after one unmeasured "
      "warm-up run in it.\n"
      "       3 = timers spread uniformly over the span, scheduled in shuffled order; CPU "
      "includes scheduling.\n"
      "           mspoll = an ideal loop over a sorted array sleeping in poll() with whole-ms "
      "timeouts, as GLib does;\n"
      "           clock = one steady_clock::now(), which schedule(delay) needs.\n"
      "           3a' = the scheduling loop alone; 3a\" = minor page faults in the window (the "
      "storage of 100k timers,\n"
      "           fresh in a new process; 1-20 us of CPU each on a VM: often most of 3a).\n"
      "           3d-g = 100k scheduled in shuffled deadline order, then all cancelled in the "
      "order scheduled (d)\n"
      "           or in an unrelated random order (e = f + g); f has samples of both runs.\n"
      "           Every contender is given absolute deadlines there (runloop: schedule_at);\n"
      "           3h = runloop's schedule(delay) in the same plan, one clock read per call.\n"
      "           gsource = one custom GSource over a binary heap of std::function nodes "
      "(timer cases only).\n"
      "       4 = send to the loop, the loop signals back through a futex; 4a\" uses "
      "Sender::send_and_wait.\n"
      "       5 = heap growth (mallinfo2, all arenas) while pending; 5b adds the caller-side "
      "handle object.\n"
      "       6 = runloop only (the seed rescans its task list per spawn: ~68 s for 100k here);\n"
      "           6b = spawn N tasks that each await delay(0) once; 6c = heap growth while N "
      "tasks await a\n"
      "           1 h delay, less their coroutine frames (6c', measured alone): the task's record, "
      "its "
      "delay's\n"
      "           timer and its JoinHandle.\n"
      "       7 = RealtimeSender<float>: a producer thread's CPU time per try_send (bursts of 16k "
      "into a ring\n"
      "           with room, drained between bursts; spsc = a plain std::atomic ring); idle "
      "rows: loop-thread\n"
      "           CPU per second of run() with that many senders and nothing sent; sleep = a "
      "thread that only\n"
      "           wakes from poll() every 10 ms (the cost of the wake-ups themselves).\n"
      "       8 = runloop in host-driven mode under a poll() host (poll on poll_fd(), no "
      "timeout, then dispatch()),\n"
      "           against runloop's GLib mode (the runloop column of 1, 2, 3, 4); 8f = "
      "dispatch() with nothing\n"
      "           ready (hosts call fd handlers spuriously); read = the non-blocking read() of "
      "the empty pipe it makes.\n");
  std::printf("total time %.1f s\n", ns_between(start, Clock::now()) / 1e9);
  return 0;
}

}  // namespace bench

int main(int argc, char** argv) {
  return bench::run(argc, argv);
}
