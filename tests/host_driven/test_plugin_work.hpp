#pragma once

// The work a host-driven test plugin does on its module's loop, shared by the CLAP and the
// VST3 test plugin (each module compiles its own copy). Loop thread only, counters excepted.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>

#include "module_work.hpp"
#include "runloop/runloop.hpp"
#include "test_plugin_api.h"

namespace test_plugin {

using namespace std::chrono_literals;

struct Counters {
  std::atomic<std::uint64_t> one_shots{0};
  std::atomic<std::uint64_t> ticks{0};
  std::atomic<std::uint64_t> sends_run{0};
  std::atomic<std::uint64_t> task_steps{0};
  std::atomic<std::uint64_t> queued_run{0};
  std::atomic<std::uint64_t> early{0};
  std::atomic<std::uint64_t> wrong_thread{0};

  void count(std::atomic<std::uint64_t>& counter) {
    if (!runloop::RunLoop::is_run_loop_thread()) ++wrong_thread;
    ++counter;
  }
  void fill(TestProgress* out) const {
    out->one_shots = one_shots;
    out->ticks = ticks;
    out->sends_run = sends_run;
    out->task_steps = task_steps;
    out->queued_run = queued_run;
    out->early = early;
    out->wrong_thread = wrong_thread;
  }
};

// Module-wide.
struct ModuleCounters {
  runloop::test::PendingCounts pending;
  std::atomic<std::uint64_t> diagnoses{0};
};
inline ModuleCounters module_counters;

inline void count_diagnoses() {
  runloop::set_diagnostic_handler([](std::string_view) { ++module_counters.diagnoses; });
}

inline void fill_module(TestModuleProgress* out) {
  out->pending_ran = module_counters.pending.ran;
  out->pending_destroyed = module_counters.pending.destroyed;
  out->diagnoses = module_counters.diagnoses;
  out->loop_alive = runloop::RunLoop::try_current().has_value() ? 1 : 0;
}

// A timer that checks it is not early.
inline void schedule_checked(const runloop::RunLoop& loop, std::chrono::milliseconds delay,
                             std::shared_ptr<Counters> c, std::atomic<std::uint64_t> Counters::*n) {
  const auto deadline = runloop::RunLoop::Clock::now() + delay;
  loop.schedule(delay,
                [c, deadline, n] {
                  if (runloop::RunLoop::Clock::now() < deadline) ++c->early;
                  c->count((*c).*n);
                })
      .detach();
}

// One instance's (controller's) steady work: a one-shot timer, a repeating Timer, a task
// stepping on delay() and a worker thread sending every millisecond. shared_ptr(new): never
// make_shared in a plugin (an STB_GNU_UNIQUE symbol would pin the module).
class Workload {
 public:
  Workload() : counters_(new Counters) {}
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;
  ~Workload() { stop(); }

  const Counters& counters() const { return *counters_; }

  void start() {
    const auto loop = runloop::RunLoop::current();
    schedule_checked(loop, 2ms, counters_, &Counters::one_shots);
    const std::shared_ptr<Counters> c = counters_;
    ticker_.emplace(2ms, [c] { c->count(c->ticks); });
    ticker_->start();
    stepper_.emplace(
        loop.spawn(runloop::test::step_forever(loop, 2ms, [c] { c->count(c->task_steps); })));
    // A lambda, not std::thread(f, sender): see tests/plugin (symbol visibility).
    worker_ = std::thread([sender = runloop::RunLoop::sender(), c, this] {
      while (!stop_.load()) {
        if (!sender.send([c] { c->count(c->sends_run); })) return;
        std::this_thread::sleep_for(1ms);
      }
    });
  }

  // Queued now, to run whenever the loop is next driven: n sends from another thread and a
  // 1 ms timer.
  void queue(unsigned n) {
    const std::shared_ptr<Counters> c = counters_;
    std::thread([sender = runloop::RunLoop::sender(), c, n] {
      for (unsigned i = 0; i < n; ++i) sender.send([c] { c->count(c->queued_run); });
    }).join();
    schedule_checked(runloop::RunLoop::current(), 1ms, counters_, &Counters::queued_run);
  }

  // Work still pending when the loop's last deinit() comes, which must destroy it unrun.
  static unsigned leave_pending(unsigned burst) {
    return runloop::test::leave_tracked_work(module_counters.pending, burst);
  }

  void stop() {
    stop_ = true;
    if (worker_.joinable()) worker_.join();
    ticker_.reset();
    if (stepper_) stepper_->abort();
    stepper_.reset();
  }

 private:
  std::shared_ptr<Counters> counters_;
  std::optional<runloop::Timer> ticker_;
  std::optional<runloop::JoinHandle<void>> stepper_;
  std::atomic<bool> stop_{false};
  std::thread worker_;
};

}  // namespace test_plugin
