// Regressions found by trying the library from outside (issue 10): each failed before its fix.
#include <gtest/gtest.h>

#include <chrono>
#include <limits>

#include "runloop/testing.hpp"
#include "test_support.hpp"

namespace runloop::test {
namespace {

constexpr auto kForever = std::chrono::nanoseconds::max();

// Computing now + nanoseconds::max() overflowed (UBSan) and GLib's timeout wrapped to ~24
// days: every other timer of the loop stopped firing.
TEST(Robustness, AnEndlessDelayNeverFiresAndOtherTimersStillDo) {
  LoopFixture fixture;
  bool endless_fired = false;
  bool soon_fired = false;
  auto endless = fixture.loop().schedule(kForever, [&] { endless_fired = true; });
  auto soon = fixture.loop().schedule(2ms, [&] { soon_fired = true; });
  EXPECT_TRUE(run_until(fixture.loop(), [&] { return soon_fired; }));
  EXPECT_FALSE(endless_fired);
  EXPECT_TRUE(endless);  // still pending
}

TEST(Robustness, HugeDelaysInTasksAndRepeatingTimersAreSaturated) {
  LoopFixture fixture;
  Timer endless_timer(kForever, [] { ADD_FAILURE() << "an endless Timer ticked"; });
  endless_timer.start();
  EXPECT_TRUE(endless_timer.is_running());
  auto endless_task = fixture.loop().spawn([]() -> Task<void> {
    co_await RunLoop::current().delay(kForever);
    ADD_FAILURE() << "an endless delay ended";
  });
  auto mid = fixture.loop().schedule(std::chrono::hours(24 * 365 * 100), [] {});
  bool soon_fired = false;
  auto soon = fixture.loop().schedule(2ms, [&] { soon_fired = true; });
  EXPECT_TRUE(run_until(fixture.loop(), [&] { return soon_fired; }));
  EXPECT_FALSE(endless_task.is_finished());
  endless_task.abort();
  EXPECT_TRUE(endless_task.is_finished());
}

TEST(Robustness, NegativeDelaysRunOnALaterPassLikeZero) {
  LoopFixture fixture;
  bool fired = false;
  auto timer = fixture.loop().schedule(-5s, [&] { fired = true; });
  EXPECT_FALSE(fired);  // never inline
  EXPECT_TRUE(run_until(fixture.loop(), [&] { return fired; }));
}

// A Timer kept across deinit()/init() silently did nothing when started again.
TEST(Robustness, ATimerKeptAcrossReinitStartsOnTheNewLoop) {
  int ticks = 0;
  Timer timer(1ms, [&] { ++ticks; });
  {
    LoopFixture first;
    timer.start();
    EXPECT_TRUE(run_until(first.loop(), [&] { return ticks >= 1; }));
  }
  EXPECT_FALSE(timer.is_running());  // its loop is gone
  LoopFixture second;
  timer.start();
  EXPECT_TRUE(timer.is_running());
  const int before = ticks;
  EXPECT_TRUE(run_until(second.loop(), [&] { return ticks >= before + 2; }));
}

TEST(Robustness, StartingATimerWithoutALoopSaysWhy) {
  Timer timer(1ms, [] {});
  EXPECT_THROW(timer.start(), RunLoopError);
  EXPECT_FALSE(timer.is_running());
}

// The Win32 hang: a block_on whose last event is a timer slept forever after the batch that
// finished the task. Repeated, since it depended on where the deadline fell.
TEST(Robustness, BlockOnReturnsWhenItsLastEventIsATimer) {
  LoopFixture fixture;
  for (int i = 0; i < 200; ++i) {
    const int value = fixture.loop().block_on([]() -> Task<int> {
      co_await RunLoop::current().delay(std::chrono::microseconds(100));
      co_return 7;
    }());
    ASSERT_EQ(value, 7) << "round " << i;
  }
}

TEST(Robustness, RunAsyncReturnsWhenItsLastEventIsATimer) {
  for (int i = 0; i < 50; ++i) {
    const int value = testing::run_async([]() -> Task<int> {
      co_await RunLoop::current().delay(std::chrono::microseconds(100));
      co_return 3;
    });
    ASSERT_EQ(value, 3) << "round " << i;
  }
}

// Timers scheduled while a callback runs a nested loop (a modal dialog, a nested run()) fire
// inside it: the core announces every new earliest deadline, at any depth.
TEST(Robustness, TimersScheduledInsideANestedLoopFireThere) {
  if (!host_loop_is_reentrant()) {
    GTEST_SKIP() << "this host's loop cannot be re-entered (android::Looper): it never nests";
  }
  LoopFixture fixture;
  bool inner_fired = false;
  bool nested_done = false;
  RunLoop::sender().send([&] {
    auto inner = fixture.loop().schedule(3ms, [&] { inner_fired = true; });
    // The host's own nested loop, as a modal dialog runs it.
    nested_done = drive_until([&] { return inner_fired; });
  });
  EXPECT_TRUE(run_until(fixture.loop(), [&] { return nested_done; }));
  EXPECT_TRUE(inner_fired);
}

}  // namespace
}  // namespace runloop::test
