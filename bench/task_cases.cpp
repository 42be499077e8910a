// Case 6: coroutine tasks (issue 3). Only runloop: the seed's task list cannot be measured
// from C++, and asio/libuv have no spawn-and-join of their own to compare with.
#include "task_cases.hpp"

#include <chrono>
#include <vector>

#include "harness.hpp"
#include "runloop/runloop.hpp"

namespace bench {
namespace {

using namespace std::chrono_literals;

runloop::Task<void> trivial(int* done) {
  ++*done;
  co_return;
}

runloop::Task<void> yield_once(runloop::RunLoop loop, int* done) {
  co_await loop.delay(0ms);
  ++*done;
}

runloop::Task<void> sleep_long(runloop::RunLoop loop, int* started) {
  ++*started;
  co_await loop.delay(1h);
}

// Spawns `count` tasks made by `make` and runs the loop until `done` reaches `count`.
// Returns the loop thread's CPU time per task.
template <class Make>
double spawn_and_run_ns(int count, Make make) {
  auto guard = runloop::RunLoop::acquire();
  const auto loop = runloop::RunLoop::current();
  int done = 0;
  const double cpu_start = thread_cpu_ns();
  for (int i = 0; i < count; ++i) (void)loop.spawn(make(loop, &done));
  runloop::Timer check(1ms, [&] {
    if (done == count) loop.stop();
  });
  check.start();
  // A zero-delay poll first, so small counts do not wait for a whole timer tick.
  auto first = loop.schedule(0ms, [&] {
    if (done == count) loop.stop();
  });
  loop.run();
  return (thread_cpu_ns() - cpu_start) / count;
}

}  // namespace

double task_spawn_complete_ns(int count) {
  return spawn_and_run_ns(count, [](runloop::RunLoop, int* done) { return trivial(done); });
}

double task_delay_zero_ns(int count) {
  return spawn_and_run_ns(count,
                          [](runloop::RunLoop loop, int* done) { return yield_once(loop, done); });
}

TaskBytes task_suspended_bytes(int count) {
  auto guard = runloop::RunLoop::acquire();
  const auto loop = runloop::RunLoop::current();
  int started = 0;
  // The coroutine frames alone: the same coroutine, created but never spawned.
  double frame_bytes = 0;
  {
    std::vector<runloop::Task<void>> frames;
    frames.reserve(count);
    const double before = heap_in_use();
    for (int i = 0; i < count; ++i) frames.push_back(sleep_long(loop, &started));
    frame_bytes = (heap_in_use() - before) / count;
  }
  std::vector<runloop::JoinHandle<void>> handles;
  handles.reserve(count);
  const double before = heap_in_use();
  for (int i = 0; i < count; ++i) handles.push_back(loop.spawn(sleep_long(loop, &started)));
  while (started < count) loop.block_on([]() -> runloop::Task<void> { co_return; }());
  const double total = (heap_in_use() - before) / count;
  return TaskBytes{frame_bytes, total - frame_bytes};
}

}  // namespace bench
