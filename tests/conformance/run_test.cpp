// run()/stop(): the seed's test_run, nested runs, stop without run.
#include <gtest/gtest.h>

#include <vector>

#include "test_support.hpp"

namespace runloop::test {
namespace {

TEST(Run, RunsUntilStopped) {  // the seed's test_run
  LoopFixture fixture;
  auto& loop = fixture.loop();
  const auto start = RunLoop::Clock::now();
  auto handle = loop.schedule(50ms, [&] { loop.stop(); });
  loop.run();
  EXPECT_GE(RunLoop::Clock::now() - start, 50ms);
}

TEST(Run, StopWithoutRunHasNoEffect) {
  LoopFixture fixture;
  auto& loop = fixture.loop();
  loop.stop();
  loop.stop();
  // A later run() must not return at once because of those stops.
  bool fired = false;
  auto handle = loop.schedule(20ms, [&] {
    fired = true;
    loop.stop();
  });
  loop.run();
  EXPECT_TRUE(fired);
}

TEST(Run, NestedRunAndStopEndsTheInnermost) {
  LoopFixture fixture;
  auto& loop = fixture.loop();
  std::vector<std::string> events;
  auto outer = loop.schedule(0ms, [&] {
    events.push_back("outer begins");
    auto inner = loop.schedule(5ms, [&] {
      events.push_back("inner stop");
      loop.stop();
    });
    loop.run();  // a modal loop
    events.push_back("inner returned");
    auto last = loop.schedule(5ms, [&] {
      events.push_back("outer stop");
      loop.stop();
    });
    last.detach();
  });
  loop.run();
  EXPECT_EQ(events, (std::vector<std::string>{"outer begins", "inner stop", "inner returned",
                                              "outer stop"}));
}

TEST(Run, NestedRunSeesWorkQueuedBeforeIt) {
  LoopFixture fixture;
  auto& loop = fixture.loop();
  auto sender = RunLoop::sender();
  std::vector<int> order;
  sender.send([&] {
    order.push_back(1);
    loop.run();  // must run 2 and 3, which were queued in the same batch as this one
    order.push_back(4);
    loop.stop();
  });
  sender.send([&] { order.push_back(2); });
  sender.send([&] {
    order.push_back(3);
    loop.stop();
  });
  loop.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

TEST(Run, StopFromAnotherThreadThroughSender) {
  LoopFixture fixture;
  auto& loop = fixture.loop();
  auto sender = RunLoop::sender();
  std::thread stopper([sender, loop] { sender.send([loop] { loop.stop(); }); });
  loop.run();
  stopper.join();
}

TEST(Run, CallbacksRunOnTheLoopThread) {
  LoopFixture fixture;
  auto& loop = fixture.loop();
  const auto loop_thread = std::this_thread::get_id();
  std::thread::id seen;
  std::thread([&, sender = RunLoop::sender()] {
    sender.send([&] {
      seen = std::this_thread::get_id();
      EXPECT_TRUE(RunLoop::is_run_loop_thread());
      loop.stop();
    });
  }).join();
  loop.run();
  EXPECT_TRUE(seen == loop_thread);
}

}  // namespace
}  // namespace runloop::test
