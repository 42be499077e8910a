// The README's quick start, verbatim (a test keeps the two identical). It prints what
// happens and on which thread.
#include <chrono>
#include <cstdio>
#include <system_error>
#include <thread>

#include <runloop/runloop.hpp>

using namespace std::chrono_literals;

const char* where() {
  return runloop::RunLoop::is_run_loop_thread() ? "loop thread" : "worker";
}

int main() {
  auto guard = runloop::RunLoop::acquire();  // init() now, deinit() at scope exit
  const auto loop = runloop::RunLoop::current();

  // A one-shot timer. The Handle cancels it when destroyed: keep it, or detach() it.
  auto hello = loop.schedule(10ms, [] { std::printf("[%s] timer: 10 ms\n", where()); });

  // A repeating timer; destroying it stops it.
  int ticks = 0;
  runloop::Timer tick(100ms, [&ticks] { std::printf("[%s] tick %d\n", where(), ++ticks); });
  tick.start();

  // From another thread: send() queues and returns at once; send_and_wait() blocks until
  // the loop thread has run the callable and hands back its result (or its exception).
  std::thread worker([sender = runloop::RunLoop::sender()] {
    sender.send([] { std::printf("[%s] a send from the worker\n", where()); });
    const int answer = sender.send_and_wait([] { return 42; });
    std::printf("[%s] send_and_wait gave back %d\n", where(), answer);
  });

  auto stop = loop.schedule(350ms, [&loop] { loop.stop(); });
  loop.run();  // applications only: a plugin leaves the driving to its host
  worker.join();
  std::printf("[%s] run() returned after %d ticks\n", where(), ticks);

  // Errors come as runloop::Error, a std::error_code enum: print them through error_code.
  std::thread([] {
    if (auto result = runloop::RunLoop::init(); !result) {
      std::printf("[%s] init() failed: %s\n", where(),
                  std::error_code(result.error()).message().c_str());
    }
  }).join();
}  // guard: deinit(). Work still pending is destroyed, never run; senders close.
