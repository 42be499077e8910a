// Coroutine tasks: spawn, JoinHandle, abort, delay (ports of the seed's task tests + more).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "runloop/testing.hpp"
#include "test_support.hpp"

namespace runloop::test {
namespace {

// Records whether (and where) it was destroyed.
struct LocalProbe {
  bool* destroyed;
  bool* on_loop_thread;
  ~LocalProbe() {
    *destroyed = true;
    *on_loop_thread = RunLoop::is_run_loop_thread();
  }
};

Task<int> answer() {
  co_return 42;
}

Task<int> add_after_delay(RunLoop loop, int a, int b) {
  co_await loop.delay(1ms);
  co_return a + b;
}

TEST(Task, NormalCompletion) {
  LoopFixture fixture;
  auto handle = fixture.loop().spawn(answer());
  EXPECT_FALSE(handle.is_finished());  // spawn never runs anything inline
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  auto result = handle.try_take();
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->has_value());
  EXPECT_EQ(**result, 42);
  EXPECT_FALSE(handle.try_take().has_value());  // taken once
}

TEST(Task, SpawnNeverRunsInline) {
  LoopFixture fixture;
  bool started = false;
  auto handle = fixture.loop().spawn([&]() -> Task<void> {
    started = true;
    co_return;
  });
  EXPECT_FALSE(started);
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  EXPECT_TRUE(started);
}

TEST(Task, AbortIsImmediateOnTheLoopThread) {
  LoopFixture fixture;
  bool destroyed = false, on_loop = false, resumed = false;
  auto handle = fixture.loop().spawn([&, loop = fixture.loop()]() -> Task<void> {
    LocalProbe probe{&destroyed, &on_loop};
    co_await loop.delay(1h);
    resumed = true;
  });
  // Let it reach its suspension point.
  ASSERT_TRUE(run_for(fixture.loop(), 20ms));
  handle.abort();
  EXPECT_TRUE(handle.is_finished());
  EXPECT_TRUE(destroyed);
  EXPECT_TRUE(on_loop);
  auto result = handle.try_take();
  ASSERT_TRUE(result && !result->has_value());
  EXPECT_TRUE(result->error().is_aborted());
  EXPECT_FALSE(result->error().is_panic());
  handle.abort();  // idempotent
  EXPECT_FALSE(resumed);
}

TEST(Task, AbortBeforeItStarted) {
  LoopFixture fixture;
  bool started = false;
  auto handle = fixture.loop().spawn([&]() -> Task<void> {
    started = true;
    co_return;
  });
  handle.abort();
  EXPECT_TRUE(handle.is_finished());
  ASSERT_TRUE(run_for(fixture.loop(), 5ms));
  EXPECT_FALSE(started);
}

TEST(Task, PanicPreservesTheException) {
  LoopFixture fixture;
  auto handle = fixture.loop().spawn([]() -> Task<int> {
    throw std::runtime_error("task failed");
    co_return 1;
  });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  auto taken = handle.try_take();
  ASSERT_TRUE(taken.has_value());
  const auto& result = *taken;
  ASSERT_FALSE(result.has_value());
  EXPECT_TRUE(result.error().is_panic());
  try {
    std::rethrow_exception(result.error().exception());
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "task failed");
  }
}

TEST(Task, MixedResults) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  auto ok = loop.spawn(add_after_delay(loop, 2, 3));
  auto failing = loop.spawn([]() -> Task<int> {
    throw std::logic_error("bad");
    co_return 0;
  });
  auto aborted = loop.spawn([loop]() -> Task<int> {
    co_await loop.delay(1h);
    co_return 0;
  });
  auto collected = loop.spawn([&]() -> Task<std::string> {
    aborted.abort();
    auto a = co_await ok;
    auto b = co_await failing;
    auto c = co_await aborted;
    co_return std::to_string(*a) + (b.error().is_panic() ? " panic" : "") +
        (c.error().is_aborted() ? " aborted" : "");
  });
  ASSERT_TRUE(run_until(loop, [&] { return collected.is_finished(); }));
  EXPECT_EQ(**collected.try_take(), "5 panic aborted");
}

TEST(Task, AbortAfterFinishKeepsTheResult) {
  LoopFixture fixture;
  auto handle = fixture.loop().spawn(answer());
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  handle.abort();
  EXPECT_EQ(**handle.try_take(), 42);
}

TEST(Task, AbortFromAnotherThreadTakesEffectOnTheLoopThread) {
  LoopFixture fixture;
  bool destroyed = false, on_loop = false;
  auto handle = fixture.loop().spawn([&, loop = fixture.loop()]() -> Task<void> {
    LocalProbe probe{&destroyed, &on_loop};
    co_await loop.delay(1h);
  });
  ASSERT_TRUE(run_for(fixture.loop(), 5ms));
  std::thread([&] { handle.abort(); }).join();
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  EXPECT_TRUE(destroyed);
  EXPECT_TRUE(on_loop);
  EXPECT_TRUE(handle.try_take()->error().is_aborted());
}

TEST(Task, TaskAbortingItselfFinishesAtItsNextSuspension) {
  LoopFixture fixture;
  JoinHandle<void> handle;
  bool after_abort = false, after_suspend = false;
  handle = fixture.loop().spawn([&, loop = fixture.loop()]() -> Task<void> {
    handle.abort();
    after_abort = true;  // still running: the frame is on the stack
    co_await loop.delay(0ms);
    after_suspend = true;
  });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  EXPECT_TRUE(after_abort);
  EXPECT_FALSE(after_suspend);
}

TEST(Task, AbortedDelayLeavesNoTimerBehind) {
  LoopFixture fixture;
  std::vector<JoinHandle<void>> handles;
  int woke = 0, waiting = 0;
  for (int i = 0; i < 100; ++i) {
    handles.push_back(fixture.loop().spawn([&, loop = fixture.loop()]() -> Task<void> {
      ++waiting;
      co_await loop.delay(100ms);  // far enough that a loaded machine aborts them first
      ++woke;
    }));
  }
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return waiting == 100; }));
  for (auto& handle : handles) handle.abort();
  ASSERT_TRUE(run_for(fixture.loop(), 150ms));  // past their deadline
  EXPECT_EQ(woke, 0);
}

TEST(Task, DroppedHandleDetaches) {
  LoopFixture fixture;
  bool done = false;
  fixture.loop().spawn([&, loop = fixture.loop()]() -> Task<void> {
    co_await loop.delay(2ms);
    done = true;
  });
  EXPECT_TRUE(run_until(fixture.loop(), [&] { return done; }));
}

TEST(Task, CallableFormKeepsCapturesAlive) {
  LoopFixture fixture;
  auto shared = std::make_shared<int>(7);
  std::weak_ptr<int> weak = shared;
  auto handle =
      fixture.loop().spawn([shared = std::move(shared), loop = fixture.loop()]() -> Task<int> {
        co_await loop.delay(2ms);
        co_return *shared * 6;  // captures still alive after a suspension
      });
  EXPECT_FALSE(weak.expired());
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  EXPECT_EQ(**handle.try_take(), 42);
  EXPECT_TRUE(weak.expired());  // released when the task ended
}

TEST(Task, FreeSpawnUsesTheCurrentLoop) {
  LoopFixture fixture;
  auto handle = runloop::spawn(answer());
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  EXPECT_EQ(**handle.try_take(), 42);
  std::thread([] {
    try {
      (void)runloop::spawn(answer());
    } catch (const RunLoopError& e) {
      EXPECT_EQ(e.error(), Error::NotRunLoopThread);
      return;
    }
    ADD_FAILURE() << "spawn off the loop thread must throw";
  }).join();
}

TEST(Task, DeinitAbortsAllTasks) {
  ASSERT_TRUE(init_loop());
  auto loop = RunLoop::current();
  bool destroyed = false, on_loop = false;
  auto waiting = loop.spawn([&, loop]() -> Task<void> {
    LocalProbe probe{&destroyed, &on_loop};
    co_await loop.delay(1h);
  });
  ASSERT_TRUE(run_for(loop, 5ms));
  auto never_started = loop.spawn(answer());
  RunLoop::deinit();
  EXPECT_TRUE(waiting.is_finished());
  EXPECT_TRUE(never_started.is_finished());
  EXPECT_TRUE(destroyed);
  EXPECT_TRUE(on_loop);
  EXPECT_TRUE(waiting.try_take()->error().is_aborted());
  EXPECT_TRUE(never_started.try_take()->error().is_aborted());
}

TEST(Task, HundredThousandSpawnedTasks) {
  LoopFixture fixture;
  constexpr int kCount = 100'000;
  int done = 0;
  std::vector<JoinHandle<int>> handles;
  handles.reserve(kCount);
  for (int i = 0; i < kCount; ++i) {
    handles.push_back(fixture.loop().spawn([&done, i]() -> Task<int> {
      ++done;
      co_return i;
    }));
  }
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return done == kCount; }));
  for (int i = 0; i < kCount; i += 997) EXPECT_EQ(**handles[i].try_take(), i);
}

Task<int> one() {
  co_return 1;
}

TEST(Task, DeepSynchronousAwaitChainsDoNotGrowTheStack) {
  LoopFixture fixture;
  auto handle = fixture.loop().spawn([]() -> Task<int> {
    int sum = 0;
    for (int i = 0; i < 100'000; ++i) sum += co_await one();
    co_return sum;
  });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  EXPECT_EQ(**handle.try_take(), 100'000);
}

Task<int> nested(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await nested(depth - 1);
}

TEST(Task, DeepRecursiveAwaits) {
  LoopFixture fixture;
  auto handle = fixture.loop().spawn(nested(10'000));
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  EXPECT_EQ(**handle.try_take(), 10'000);
}

// An awaitable completed by a background thread, as third-party code would write it.
struct ThreadCompletion {
  std::thread* worker;
  int value = 0;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> continuation) {
    *worker = std::thread([this, continuation] {
      value = 99;
      continuation.resume();  // on the worker thread!
    });
  }
  int await_resume() const noexcept { return value; }
};

TEST(Task, ForeignAwaitableCompletedOnAnotherThreadResumesOnTheLoopThread) {
  LoopFixture fixture;
  std::thread worker;
  bool resumed_on_loop = false;
  auto handle = fixture.loop().spawn([&]() -> Task<int> {
    int v = co_await ThreadCompletion{&worker};
    resumed_on_loop = RunLoop::is_run_loop_thread();
    co_return v;
  });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  worker.join();
  EXPECT_TRUE(resumed_on_loop);
  EXPECT_EQ(**handle.try_take(), 99);
}

TEST(Task, StandardAwaitablesWork) {
  LoopFixture fixture;
  auto handle = fixture.loop().spawn([]() -> Task<int> {
    co_await std::suspend_never{};
    co_return 5;
  });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  EXPECT_EQ(**handle.try_take(), 5);
}

TEST(Task, AwaitingAnAbortedTaskGivesAborted) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  auto sleeper = loop.spawn([loop]() -> Task<int> {
    co_await loop.delay(1h);
    co_return 1;
  });
  auto waiter = loop.spawn([&]() -> Task<bool> {
    auto result = co_await sleeper;
    co_return !result && result.error().is_aborted();
  });
  ASSERT_TRUE(run_for(loop, 5ms));
  sleeper.abort();
  ASSERT_TRUE(run_until(loop, [&] { return waiter.is_finished(); }));
  EXPECT_TRUE(**waiter.try_take());
}

TEST(Task, DelayIsNotEarly) {
  LoopFixture fixture;
  auto handle = fixture.loop().spawn([loop = fixture.loop()]() -> Task<std::chrono::nanoseconds> {
    const auto start = RunLoop::Clock::now();
    co_await loop.delay(10ms);
    co_return RunLoop::Clock::now() - start;
  });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  EXPECT_GE(**handle.try_take(), 10ms);
}

TEST(Task, AsyncTimerSpawnsATaskPerTick) {
  LoopFixture fixture;
  int completed = 0;
  auto timer = Timer::async(1ms, [&, loop = fixture.loop()]() -> Task<void> {
    co_await loop.delay(1ms);
    ++completed;
  });
  timer.start();
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return completed >= 3; }));
  timer.stop();
}

}  // namespace
}  // namespace runloop::test
