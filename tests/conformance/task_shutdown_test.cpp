// Tasks and the end of their loop: deinit() from inside a task, awaits after shutdown, a
// Timer::async destroyed while its tick tasks still run.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "runloop/testing.hpp"
#include "test_support.hpp"

namespace runloop::test {
namespace {

template <class T>
bool ended_aborted(JoinHandle<T>& handle) {
  auto result = handle.try_take();
  return result && !result->has_value() && result->error().is_aborted();
}

class TaskShutdown : public ::testing::Test {
 protected:
  void TearDown() override {
    set_exception_handler(nullptr);
    EXPECT_FALSE(RunLoop::is_run_loop_thread());  // each test shut its loop down
  }
};

// deinit() from inside a task: the task ends Aborted at its next suspension; an await
// there neither throws into it nor lets it run on after the loop is gone.
TEST_F(TaskShutdown, DeinitInsideATaskAbortsItAtItsNextSuspension) {
  ASSERT_TRUE(init_loop());
  auto loop = RunLoop::current();
  bool caught = false, ran_on = false, reached_deinit = false;
  auto handle = loop.spawn([&, loop]() -> Task<int> {
    reached_deinit = true;
    RunLoop::deinit();
    try {
      co_await loop.delay(1ms);
    } catch (...) {
      caught = true;
    }
    ran_on = true;
    co_return 1;
  });
  loop.run();  // returns: the loop it was running is gone
  EXPECT_TRUE(reached_deinit);
  EXPECT_TRUE(handle.is_finished());
  EXPECT_FALSE(caught);
  EXPECT_FALSE(ran_on);
  EXPECT_TRUE(ended_aborted(handle));
}

// Without a try/catch the task must not end as a panic either.
TEST_F(TaskShutdown, DeinitInsideATaskIsNeverAPanic) {
  ASSERT_TRUE(init_loop());
  auto loop = RunLoop::current();
  int reported = 0;
  set_exception_handler([&](std::exception_ptr) { ++reported; });
  auto handle = loop.spawn([loop]() -> Task<void> {
    RunLoop::deinit();
    co_await loop.delay(1ms);
  });
  loop.run();
  EXPECT_TRUE(ended_aborted(handle));
  EXPECT_EQ(reported, 0);  // nothing was thrown at all
}

// Every kind of await after the deinit() ends the task the same way.
TEST_F(TaskShutdown, AwaitsAfterDeinitInsideATaskEndIt) {
  ASSERT_TRUE(init_loop());
  auto loop = RunLoop::current();
  bool child_ran = false, ran_on = false;
  auto sleeper = loop.spawn([loop]() -> Task<int> {
    co_await loop.delay(1h);
    co_return 0;
  });
  auto child = [&]() -> Task<int> {
    child_ran = true;
    co_return 3;
  };
  auto join_after = loop.spawn([&]() -> Task<void> {
    co_await loop.delay(0ms);  // let the sleeper start
    RunLoop::deinit();
    try {
      (void)co_await sleeper;
    } catch (...) {
    }
    ran_on = true;
  });
  loop.run();
  EXPECT_TRUE(ended_aborted(join_after));
  EXPECT_TRUE(ended_aborted(sleeper));
  EXPECT_FALSE(ran_on);

  ASSERT_TRUE(init_loop());
  loop = RunLoop::current();
  auto child_after = loop.spawn([&]() -> Task<void> {
    RunLoop::deinit();
    (void)co_await child();
    ran_on = true;
  });
  loop.run();
  EXPECT_TRUE(ended_aborted(child_after));
  EXPECT_FALSE(child_ran);
  EXPECT_FALSE(ran_on);
}

// Spawning from a task after its loop was shut down throws like every RunLoop method of a
// loop that is gone; the task then still ends Aborted, and the exception that escaped it
// (nobody can ever see it through the handle) goes to the exception handler.
TEST_F(TaskShutdown, SpawnAfterDeinitInsideATaskThrowsNotInitialized) {
  ASSERT_TRUE(init_loop());
  auto loop = RunLoop::current();
  bool threw = false;
  int reported = 0;
  set_exception_handler([&](std::exception_ptr) { ++reported; });
  auto handle = loop.spawn([&, loop]() -> Task<void> {
    RunLoop::deinit();
    try {
      (void)loop.spawn([]() -> Task<void> { co_return; });
    } catch (const RunLoopError& e) {
      threw = e.error() == Error::NotInitialized;
    }
    throw std::runtime_error("after shutdown");
  });
  loop.run();
  EXPECT_TRUE(threw);
  EXPECT_TRUE(ended_aborted(handle));
  EXPECT_EQ(reported, 1);
}

// Timer::async keeps the tick's closure alive with the tick task: destroying the Timer while
// a tick task is suspended stops the ticks but not the running task (no use-after-free).
TEST_F(TaskShutdown, AsyncTimerDestroyedWhileATickTaskIsSuspended) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  auto captured = std::make_shared<std::string>("still here");
  std::weak_ptr<std::string> weak = captured;
  int started = 0;
  std::string seen;
  bool go_on = false;
  {
    auto timer = Timer::async(1ms, [&, loop, captured = std::move(captured)]() -> Task<void> {
      if (started++ > 0) co_return;
      while (!go_on) co_await loop.delay(1ms);
      seen = *captured;  // a capture of the closure, after suspensions
    });
    timer.start();
    ASSERT_TRUE(run_until(loop, [&] { return started >= 1; }));
  }                              // the timer dies; the first tick task is suspended in a delay
  EXPECT_FALSE(weak.expired());  // the suspended task still holds its closure
  go_on = true;
  ASSERT_TRUE(run_until(loop, [&] { return !seen.empty(); }));
  EXPECT_EQ(seen, "still here");
  ASSERT_TRUE(run_until(loop, [&] { return weak.expired(); }));  // released with the task
}

}  // namespace
}  // namespace runloop::test
