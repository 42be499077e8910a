// runloop in host-driven mode, driven as a CLAP posix-fd host drives it: poll() on
// poll_fd() with no timeout of its own, then dispatch(), every iteration. Measured next to
// runloop's GLib mode (the "runloop" contender) for cases 1, 2 and 4.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "harness.hpp"
#include "runloop/host_driven.hpp"
#include "runloop_loop.hpp"

namespace bench {
namespace {

using runloop::RunLoop;

struct HostDrivenLoop : AcquiredLoop {
  HostDrivenLoop() : AcquiredLoop(RunLoop::acquire(runloop::host_driven)) {}
  // The host's main loop.
  void run() const {
    stopped = false;
    while (!stopped) {
      pollfd fd{poll_fd, POLLIN, 0};
      ::poll(&fd, 1, -1);
      loop.dispatch();
    }
  }
  void stop() const { stopped = true; }

  int poll_fd = loop.poll_fd();
  mutable bool stopped = false;
};

struct HostDrivenCases : LoopCases<HostDrivenLoop> {
  // 3a-c: every deadline reaches the host through the descriptor alone (the alarm thread).
  static TimerStats timers(const Params& params) {
    HostDrivenLoop host;
    PlannedTimers planned(params.timer_count, params.timer_spread);
    TimerRecord& record = planned.record;
    return measure_timers(
        planned, params.timer_lead,
        [&](int rank) {
          host.loop
              .schedule_at(record.deadline(rank),
                           [&record, &host, rank] {
                             record.fire(rank);
                             if (record.all_fired()) host.stop();
                           })
              .detach();
        },
        [&] { host.run(); });
  }
};

}  // namespace

double host_driven_idle_dispatch_ns(int calls) {
  HostDrivenLoop host;
  host.loop.dispatch();  // whatever init left readable
  const double start = thread_cpu_ns();
  for (int i = 0; i < calls; ++i) host.loop.dispatch();
  return (thread_cpu_ns() - start) / calls;
}

double floor_empty_pipe_read_ns(int calls) {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    std::perror("pipe2");
    std::exit(1);
  }
  char bytes[64];
  const double start = thread_cpu_ns();
  for (int i = 0; i < calls; ++i) {
    if (read(fds[0], bytes, sizeof bytes) > 0) std::abort();  // never: nobody writes
  }
  const double cpu = thread_cpu_ns() - start;
  close(fds[0]);
  close(fds[1]);
  return cpu / calls;
}

Contender runloop_host_driven_contender() {
  Contender c;
  c.name = "runloop host-driven";
  c.cross_thread_send_ns = HostDrivenCases::cross_thread_send_ns;
  c.same_thread_send_ns = HostDrivenCases::same_thread_send_ns;
  c.timers = HostDrivenCases::timers;
  c.round_trip_us = HostDrivenCases::round_trip_us;
  return c;
}

}  // namespace bench
