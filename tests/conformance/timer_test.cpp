// The repeating Timer.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace runloop::test {
namespace {

TEST(Timer, TicksRepeatedlyAndNotEarly) {
  LoopFixture fixture;
  std::vector<RunLoop::Clock::time_point> ticks;
  const auto start = RunLoop::Clock::now();
  Timer timer(5ms, [&] { ticks.push_back(RunLoop::Clock::now()); });
  EXPECT_FALSE(timer.is_running());
  timer.start();
  EXPECT_TRUE(timer.is_running());
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return ticks.size() >= 5; }));
  timer.stop();
  EXPECT_FALSE(timer.is_running());
  // Fixed rate: the n-th tick is never before start + n * interval.
  for (size_t i = 0; i < ticks.size(); ++i) EXPECT_GE(ticks[i] - start, (i + 1) * 5ms);
}

TEST(Timer, StopInsideTheCallback) {
  LoopFixture fixture;
  int ticks = 0;
  std::unique_ptr<Timer> timer;
  timer = std::make_unique<Timer>(1ms, [&] {
    if (++ticks == 3) timer->stop();
  });
  timer->start();
  // Waits for the ticks, not for a span of time: on a loaded machine the process may stall
  // for longer than the span, and the Timer skips the ticks it missed.
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return ticks >= 3; }));
  ASSERT_TRUE(run_for(fixture.loop(), 10ms));
  EXPECT_EQ(ticks, 3);
  EXPECT_FALSE(timer->is_running());
}

TEST(Timer, DestroyedInsideItsOwnCallback) {
  LoopFixture fixture;
  int ticks = 0;
  std::unique_ptr<Timer> timer;
  timer = std::make_unique<Timer>(1ms, [&] {
    ++ticks;
    timer.reset();
  });
  timer->start();
  ASSERT_TRUE(run_for(fixture.loop(), 20ms));
  EXPECT_EQ(ticks, 1);
}

TEST(Timer, DestroyingStopsIt) {
  LoopFixture fixture;
  int ticks = 0;
  {
    Timer timer(1ms, [&] { ++ticks; });
    timer.start();
  }
  ASSERT_TRUE(run_for(fixture.loop(), 10ms));
  EXPECT_EQ(ticks, 0);
}

TEST(Timer, RestartsAfterStop) {
  LoopFixture fixture;
  int ticks = 0;
  Timer timer(1ms, [&] { ++ticks; });
  timer.start();
  timer.start();  // idempotent
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return ticks >= 2; }));
  timer.stop();
  const int at_stop = ticks;
  timer.start();
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return ticks >= at_stop + 2; }));
}

TEST(Timer, NotRunningOnceItsLoopIsGone) {
  std::optional<Timer> timer;
  {
    LoopFixture fixture;
    timer.emplace(1ms, [] {});
    timer->start();
    EXPECT_TRUE(timer->is_running());
  }
  EXPECT_FALSE(timer->is_running());
  timer.reset();  // harmless after deinit
}

TEST(Timer, StartOffTheLoopThreadThrows) {
  LoopFixture fixture;
  bool threw = false;
  std::thread([&] {
    Timer timer(1ms, [] {});
    try {
      timer.start();
    } catch (const RunLoopError&) {
      threw = true;
    }
    EXPECT_FALSE(timer.is_running());
  }).join();
  EXPECT_TRUE(threw);
}

}  // namespace
}  // namespace runloop::test
