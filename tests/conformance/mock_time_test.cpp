// testing::MockTime: the loop's clock under the test's control (SPEC, "Deterministic time").
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runloop/testing.hpp"
#include "test_support.hpp"

namespace runloop::test {
namespace {

using Clock = RunLoop::Clock;

TEST(MockTime, TheClockStandsStillAndAdvancesOnlyWhenAsked) {
  LoopFixture fixture;
  testing::MockTime time;
  const Clock::time_point start = RunLoop::now();
  EXPECT_EQ(RunLoop::now(), start);
  time.advance(5s);
  EXPECT_EQ(RunLoop::now(), start + 5s);
  EXPECT_EQ(time.now(), start + 5s);
}

TEST(MockTime, AdvanceRunsTimersInDeadlineOrderEachAtItsOwnDeadline) {
  LoopFixture fixture;
  testing::MockTime time;
  const Clock::time_point start = RunLoop::now();
  std::vector<std::pair<int, Clock::time_point>> fired;
  auto record = [&](int id) { return [&fired, id] { fired.emplace_back(id, RunLoop::now()); }; };
  auto c = fixture.loop().schedule(30ms, record(3));
  auto a = fixture.loop().schedule(10ms, record(1));
  auto b = fixture.loop().schedule(20ms, record(2));
  auto later = fixture.loop().schedule(1h, record(4));
  time.advance(25ms);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0], std::make_pair(1, start + 10ms));
  EXPECT_EQ(fired[1], std::make_pair(2, start + 20ms));
  EXPECT_EQ(RunLoop::now(), start + 25ms);
  time.advance(5ms);
  ASSERT_EQ(fired.size(), 3u);
  EXPECT_EQ(fired[2], std::make_pair(3, start + 30ms));
}

TEST(MockTime, TimersScheduledOnTheWayRunWithinTheSameAdvance) {
  LoopFixture fixture;
  testing::MockTime time;
  const Clock::time_point start = RunLoop::now();
  std::vector<Clock::time_point> ticks;
  Timer timer(10ms, [&] { ticks.push_back(RunLoop::now()); });
  timer.start();
  time.advance(35ms);
  ASSERT_EQ(ticks.size(), 3u);
  EXPECT_EQ(ticks[0], start + 10ms);
  EXPECT_EQ(ticks[1], start + 20ms);
  EXPECT_EQ(ticks[2], start + 30ms);
}

TEST(MockTime, AnHourLongDelayInATaskCompletesWithoutWaiting) {
  LoopFixture fixture;
  testing::MockTime time;
  const Clock::time_point start = RunLoop::now();
  const auto wall_start = std::chrono::steady_clock::now();
  Clock::time_point woke{};
  auto handle = fixture.loop().spawn([&]() -> Task<void> {
    co_await RunLoop::current().delay(1h);
    woke = RunLoop::now();
  });
  time.run_until_idle();  // the task starts and suspends
  EXPECT_FALSE(handle.is_finished());
  time.advance(59min);
  EXPECT_FALSE(handle.is_finished());
  time.advance(1min);
  EXPECT_TRUE(handle.is_finished());
  EXPECT_EQ(woke, start + 1h);
  // A generous bound, not a speed test: an hour of mock time never waits for real time.
  EXPECT_LT(std::chrono::steady_clock::now() - wall_start, 5min);
}

TEST(MockTime, RunUntilIdleRunsReadyWorkWithoutMovingTheClock) {
  LoopFixture fixture;
  testing::MockTime time;
  const Clock::time_point start = RunLoop::now();
  int ran = 0;
  RunLoop::sender().send([&] {
    ++ran;
    RunLoop::sender().send([&] { ++ran; });
  });
  auto zero = fixture.loop().schedule(0ms, [&] { ++ran; });
  auto later = fixture.loop().schedule(1ms, [&] { ran += 100; });
  time.run_until_idle();
  EXPECT_EQ(ran, 3);
  EXPECT_EQ(RunLoop::now(), start);
}

TEST(MockTime, NothingFiresOnItsOwnInRealTime) {
  LoopFixture fixture;
  testing::MockTime time;
  bool fired = false;
  auto timer = fixture.loop().schedule(1ms, [&] { fired = true; });
  // Real time passes the deadline while the host keeps iterating; the mock clock stays.
  const auto real_deadline = std::chrono::steady_clock::now() + 20ms;
  while (std::chrono::steady_clock::now() < real_deadline) host_iterate(false);
  EXPECT_FALSE(fired);
  time.advance(1ms);
  EXPECT_TRUE(fired);
}

TEST(MockTime, RealTimeResumesWhenItEnds) {
  LoopFixture fixture;
  bool fired = false;
  Handle timer;
  {
    testing::MockTime time;
    timer = fixture.loop().schedule(1ms, [&] { fired = true; });
  }
  EXPECT_TRUE(run_until(fixture.loop(), [&] { return fired; }));
}

TEST(MockTime, MisuseIsReported) {
  EXPECT_THROW(testing::MockTime{}, RunLoopError);  // no loop
  LoopFixture fixture;
  testing::MockTime time;
  EXPECT_THROW(testing::MockTime{}, std::logic_error);  // one at a time
  std::thread other([] { EXPECT_THROW(testing::MockTime{}, RunLoopError); });
  other.join();
}

}  // namespace
}  // namespace runloop::test
