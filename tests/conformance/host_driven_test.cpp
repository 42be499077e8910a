// The plugin pattern: the host drives the native loop; run() is never called.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "test_support.hpp"

namespace runloop::test {
namespace {

TEST(HostDriven, TimersSendsAndRepeatingTimersRunWithoutRun) {
  LoopFixture fixture;
  bool timer_fired = false;
  int ticks = 0;
  std::atomic<int> remote{0};
  auto handle = fixture.loop().schedule(3ms, [&] { timer_fired = true; });
  Timer repeating(2ms, [&] { ++ticks; });
  repeating.start();
  std::thread producer([sender = RunLoop::sender(), &remote] {
    for (int i = 0; i < 1000; ++i) sender.send([&remote] { ++remote; });
  });
  EXPECT_TRUE(drive_until([&] { return timer_fired && ticks >= 3 && remote == 1000; }));
  producer.join();
}

TEST(HostDriven, ACrossThreadSendWakesABlockedHost) {
  LoopFixture fixture;
  std::atomic<bool> ran{false};
  std::thread producer([sender = RunLoop::sender(), &ran] {
    std::this_thread::sleep_for(
        20ms);  // let the host block first; correctness does not depend on it
    sender.send([&ran] { ran = true; });
  });
  // Nothing else is pending: only our wake-up can end this blocking iteration.
  EXPECT_TRUE(drive_until([&] { return ran.load(); }));
  producer.join();
}

TEST(HostDriven, TimerWakesABlockedHostNoEarlierThanItsDeadline) {
  LoopFixture fixture;
  const auto start = RunLoop::Clock::now();
  RunLoop::Clock::time_point fired_at{};
  auto handle = fixture.loop().schedule(15ms, [&] { fired_at = RunLoop::Clock::now(); });
  EXPECT_TRUE(drive_until([&] { return fired_at != RunLoop::Clock::time_point{}; }));
  EXPECT_GE(fired_at - start, 15ms);
}

TEST(HostDriven, TasksProgressWithoutRun) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  std::thread worker;
  auto handle = loop.spawn([&, loop]() -> Task<int> {
    co_await loop.delay(2ms);
    struct FromThread {
      std::thread* worker;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> next) {
        *worker = std::thread([next] { next.resume(); });
      }
      void await_resume() const noexcept {}
    };
    co_await FromThread{&worker};
    co_return 11;
  });
  EXPECT_TRUE(drive_until([&] { return handle.is_finished(); }));
  worker.join();
  EXPECT_EQ(**handle.try_take(), 11);
}

}  // namespace
}  // namespace runloop::test
