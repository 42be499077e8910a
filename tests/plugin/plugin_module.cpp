// A stand-in for an audio plugin: a shared module with its own static copy of runloop,
// built with hidden visibility, exporting only the C API of plugin_api.h. The host test
// loads two of them (plugin_a.so and plugin_b.so, this file built twice) into one process.
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "module_work.hpp"
#include "plugin_api.h"
#include "runloop/runloop.hpp"

#ifndef PLUGIN_NAME
#error "PLUGIN_NAME must name the module"
#endif

#define PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using namespace std::chrono_literals;

struct Counters {
  std::atomic<std::uint64_t> one_shot_fired{0};
  std::atomic<std::uint64_t> timer_ticks{0};
  std::atomic<std::uint64_t> sends_run{0};
  std::atomic<std::uint64_t> waits_answered{0};
  std::atomic<std::uint64_t> wrong_thread{0};
  runloop::test::PendingCounts pending;
  std::atomic<std::uint64_t> sends_refused{0};
  std::atomic<std::uint64_t> task_steps{0};
};

// Module state, loop thread only (the counters excepted). Plain statics, as the library's.
Counters counters;
std::optional<runloop::Timer> repeating;
std::optional<runloop::JoinHandle<void>> stepping;
std::thread worker;

void count_on_loop_thread(std::atomic<std::uint64_t>& counter) {
  if (!runloop::RunLoop::is_run_loop_thread()) ++counters.wrong_thread;
  ++counter;
}

// Sends until the loop refuses: that is how it learns of deinit(), as a plugin's audio or
// network thread would. Every tenth call waits for the loop thread's answer instead.
void send_until_refused(const runloop::Sender& sender) {
  try {
    for (unsigned i = 1;; ++i) {
      if (i % 10 == 0) {
        if (sender.send_and_wait([] { return runloop::RunLoop::is_run_loop_thread(); })) {
          ++counters.waits_answered;
        }
      } else if (!sender.send([] { count_on_loop_thread(counters.sends_run); })) {
        break;
      }
      std::this_thread::sleep_for(1ms);
    }
  } catch (const runloop::RunLoopError&) {
    // send_and_wait() on a loop that went away: refused too.
  }
  ++counters.sends_refused;
}

}  // namespace

PLUGIN_EXPORT const char* plugin_name(void) {
  return PLUGIN_NAME;
}

// Coroutines are made in C++ functions, never inside an extern "C" one: GCC 12 emits duplicate
// symbols for a coroutine lambda defined directly inside an extern "C" function (a compiler
// bug, see README).
runloop::Task<void> count_task_steps(runloop::RunLoop loop) {
  return runloop::test::step_forever(loop, 2ms, [] { count_on_loop_thread(counters.task_steps); });
}

PLUGIN_EXPORT int plugin_init(void) {
  const auto result = runloop::RunLoop::init();
  return result ? 0 : static_cast<int>(result.error());
}

PLUGIN_EXPORT int plugin_is_initialized(void) {
  return runloop::RunLoop::try_current().has_value() ? 1 : 0;
}

PLUGIN_EXPORT int plugin_post_from_loop_thread(void) {
  try {
    return runloop::RunLoop::sender().send([] { count_on_loop_thread(counters.sends_run); }) ? 0
                                                                                             : -1;
  } catch (const runloop::RunLoopError&) {
    return -1;
  }
}

PLUGIN_EXPORT int plugin_start_work(void) {
  try {
    const auto loop = runloop::RunLoop::current();
    loop.schedule(2ms, [] { count_on_loop_thread(counters.one_shot_fired); }).detach();
    if (!repeating) repeating.emplace(2ms, [] { count_on_loop_thread(counters.timer_ticks); });
    repeating->start();
    if (!stepping) stepping.emplace(loop.spawn(count_task_steps(loop)));
    // A lambda, not std::thread(send_until_refused, sender): GCC gives std::thread's state
    // for a (function, Sender) tuple default visibility even under -fvisibility=hidden, so
    // the module would export a symbol naming runloop::Sender (see README, plugins).
    if (!worker.joinable()) {
      worker = std::thread([sender = runloop::RunLoop::sender()] { send_until_refused(sender); });
    }
    return 0;
  } catch (...) {  // nothing may unwind into the host
    return -1;
  }
}

PLUGIN_EXPORT void plugin_progress(PluginProgress* out) {
  out->one_shot_fired = counters.one_shot_fired;
  out->timer_ticks = counters.timer_ticks;
  out->sends_run = counters.sends_run;
  out->waits_answered = counters.waits_answered;
  out->wrong_thread = counters.wrong_thread;
  out->pending_ran = counters.pending.ran;
  out->pending_destroyed = counters.pending.destroyed;
  out->sends_refused = counters.sends_refused;
  out->task_steps = counters.task_steps;
}

PLUGIN_EXPORT int plugin_leave_pending_work_and_deinit(unsigned burst) {
  unsigned pending = 0;
  try {
    pending = runloop::test::leave_tracked_work(counters.pending, burst);
  } catch (...) {
    return -1;
  }
  runloop::RunLoop::deinit();
  if (worker.joinable()) worker.join();
  // Destroyed after deinit(): its cancelled tick belongs to a loop that is gone, harmlessly.
  repeating.reset();
  stepping.reset();
  return static_cast<int>(pending);
}
