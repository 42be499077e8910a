// runloop demo: one-shot timers, a repeating Timer, sends from two worker threads and a
// coroutine task, all landing on the loop thread. It stops itself after about a second and shuts
// down with work still pending, which is destroyed, never run.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <runloop/runloop.hpp>

using namespace std::chrono_literals;

namespace {

const auto start = std::chrono::steady_clock::now();

// One line per event: when (ms since start), on which thread, what happened.
void log(const std::string& thread, const std::string& what) {
  const std::chrono::duration<double, std::milli> elapsed =
      std::chrono::steady_clock::now() - start;
  std::printf("%7.1f ms  %-8s  %s\n", elapsed.count(), thread.c_str(), what.c_str());
}

// Callbacks print where they really run: always "loop".
std::string here() {
  return runloop::RunLoop::is_run_loop_thread() ? "loop" : "NOT-loop";
}

// Work left pending at shutdown; says so when it is destroyed without having run.
struct Pending {
  std::string name;
  explicit Pending(std::string n) : name(std::move(n)) {}
  Pending(Pending&& other) noexcept : name(std::move(other.name)) { other.name.clear(); }
  ~Pending() {
    if (!name.empty()) log(here(), name + ": destroyed at shutdown, never ran");
  }
  void operator()() { log(here(), name + ": ran (it should not have)"); }
};

// A coroutine task: suspends on the loop's timers and on a worker thread, and resumes on
// the loop thread every time.
runloop::Task<int> count_to_three(runloop::RunLoop loop) {
  for (int step = 1; step <= 3; ++step) {
    co_await loop.delay(120ms);
    log(here(), "task step " + std::to_string(step));
  }
  struct OnAWorker {  // any awaitable works; this one completes on another thread
    std::thread* worker;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> resume) {
      *worker = std::thread([resume] {
        log("worker-3", "finishes the task's work");
        resume.resume();  // runloop moves the task back to the loop thread
      });
    }
    int await_resume() const noexcept { return 3; }
  };
  std::thread worker;
  const int result = co_await OnAWorker{&worker};
  worker.join();
  log(here(), "task resumed after the worker, returns " + std::to_string(result));
  co_return result;
}

}  // namespace

int main() {
  {
    auto guard = runloop::RunLoop::acquire();  // this thread is now the loop thread
    const auto loop = runloop::RunLoop::current();
    log("loop", "initialised");

    // One-shot timers run in deadline order. A Handle cancels its timer when destroyed,
    // so keep it (or detach() it).
    auto late = loop.schedule(300ms, [] { log(here(), "one-shot timer, 300 ms"); });
    auto early = loop.schedule(100ms, [] { log(here(), "one-shot timer, 100 ms"); });
    auto cancelled = loop.schedule(200ms, [] { log(here(), "never printed: cancelled"); });
    cancelled.cancel();

    int ticks = 0;
    runloop::Timer heartbeat(250ms,
                             [&ticks] { log(here(), "Timer tick " + std::to_string(++ticks)); });
    heartbeat.start();

    // Workers post to the loop thread through a Sender (copyable, usable from any thread).
    std::vector<std::thread> workers;
    for (int id = 1; id <= 2; ++id) {
      workers.emplace_back([id, sender = runloop::RunLoop::sender()] {
        const std::string me = "worker-" + std::to_string(id);
        // send_and_wait blocks until the loop thread has run the callable.
        const bool answered = sender.send_and_wait([&me] {
          log(here(), "answers " + me + "'s send_and_wait");
          return runloop::RunLoop::is_run_loop_thread();
        });
        log(me, answered ? "got the loop thread's answer" : "got a wrong answer");
        for (int job = 1; job <= 3; ++job) {
          std::this_thread::sleep_for(50ms + id * 100ms);
          log(me, "sends job " + std::to_string(job));
          sender.send([me, job] { log(here(), "runs job " + std::to_string(job) + " of " + me); });
        }
      });
    }

    // A task runs on the loop thread whenever it is not suspended; its JoinHandle gives
    // back the result (or the exception that escaped it).
    auto task = loop.spawn(count_to_three(loop));

    // After ~1 s: leave some work pending on purpose, then stop.
    auto stop = loop.schedule(1s, [&loop] {
      log(here(), "stopping, with a 1 h timer and a queued send still pending");
      loop.schedule(1h, Pending("the 1 h timer")).detach();
      runloop::RunLoop::sender().send(Pending("the queued send"));
      loop.stop();
    });

    loop.run();  // a standalone app drives the loop itself; a plugin never calls this
    log("loop", "run() returned");
    if (auto result = task.try_take(); result && result->has_value()) {
      log("loop", "the task's JoinHandle holds " + std::to_string(**result));
    }
    for (auto& worker : workers) worker.join();
    log("loop", "last reference released: deinit() destroys the pending work");
  }  // guard -> RunLoop::deinit()
  log("main", "shut down cleanly");
}
