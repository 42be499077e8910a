// What only the CoreFoundation backend can show: how it sits in a CFRunLoop it does not own.
#include <CoreFoundation/CoreFoundation.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "test_support.hpp"

namespace runloop::test {
namespace {

// A mode of the test's own, made common (as AppKit does with its tracking and modal modes).
CFStringRef add_common_mode(const char* name) {
  CFStringRef mode = CFStringCreateWithCString(nullptr, name, kCFStringEncodingUTF8);
  CFRunLoopAddCommonMode(CFRunLoopGetCurrent(), mode);
  return mode;
}

// A host's own timer, with a plain C callback.
struct HostTimer {
  HostTimer(double seconds, void (*callback)(CFRunLoopTimerRef, void*), void* info) {
    CFRunLoopTimerContext context{};
    context.info = info;
    timer = CFRunLoopTimerCreate(nullptr, CFAbsoluteTimeGetCurrent() + seconds, 0, 0, 0, callback,
                                 &context);
    CFRunLoopAddTimer(CFRunLoopGetCurrent(), timer, kCFRunLoopDefaultMode);
  }
  ~HostTimer() {
    CFRunLoopTimerInvalidate(timer);
    CFRelease(timer);
  }
  CFRunLoopTimerRef timer;
};

TEST(CfBackend, WorkRunsInEveryCommonMode) {
  LoopFixture fixture;
  // Made common after init: CF adds our source and timer to it then.
  CFStringRef tracking = add_common_mode("org.runloop.test.tracking");
  bool timer_fired = false;
  std::atomic<bool> sent{false};
  auto handle = fixture.loop().schedule(2ms, [&] { timer_fired = true; });
  std::thread([sender = RunLoop::sender(), &sent] {
    sender.send([&sent] { sent = true; });
  }).join();
  const auto give_up = RunLoop::Clock::now() + kTimeout;
  while (!(timer_fired && sent) && RunLoop::Clock::now() < give_up) {
    CFRunLoopRunInMode(tracking, 1.0, true);
  }
  EXPECT_TRUE(timer_fired);
  EXPECT_TRUE(sent);
  CFRelease(tracking);
}

TEST(CfBackend, NothingOfOursIsLeftAfterDeinit) {
  // On a thread of its own: on the main thread CF counts the main dispatch queue as part of
  // every common mode, so a common mode there is never empty.
  std::thread([] {
    CFStringRef mode = add_common_mode("org.runloop.test.empty");
    EXPECT_EQ(CFRunLoopRunInMode(mode, 0, true), kCFRunLoopRunFinished) << "should start empty";
    ASSERT_TRUE(RunLoop::init());
    RunLoop::current().schedule(1h, [] {}).detach();
    EXPECT_NE(CFRunLoopRunInMode(mode, 0, true), kCFRunLoopRunFinished);
    RunLoop::deinit();
    EXPECT_EQ(CFRunLoopRunInMode(mode, 0, true), kCFRunLoopRunFinished)
        << "a source, timer or observer of ours is still in the run loop";
    CFRelease(mode);
  }).join();
}

TEST(CfBackend, StopInsideAForeignLoopLeavesThatLoopAlone) {
  LoopFixture fixture;
  auto& loop = fixture.loop();
  CFRunLoopRunResult foreign_result{};
  RunLoop::Clock::duration foreign_time{};
  auto handle = loop.schedule(0ms, [&] {
    loop.schedule(5ms, [&] { loop.stop(); }).detach();
    // A library's synchronous wait nested in our run(): it must run its full 50 ms, and our
    // stop() must still end our run() once it is over.
    const auto start = RunLoop::Clock::now();
    foreign_result = CFRunLoopRunInMode(kCFRunLoopDefaultMode, 0.05, false);
    foreign_time = RunLoop::Clock::now() - start;
  });
  loop.run();
  EXPECT_EQ(foreign_result, kCFRunLoopRunTimedOut);
  EXPECT_GE(foreign_time, 50ms);
}

TEST(CfBackend, TimersScheduledBeforeAForeignLoopFireInIt) {
  LoopFixture fixture;
  auto& loop = fixture.loop();
  bool fired = false;
  CFRunLoopRunResult foreign_result{};
  auto handle = loop.schedule(0ms, [&] {
    // Scheduled inside a batch, so the core does not report it; then a modal loop runs.
    loop.schedule(5ms, [&] { fired = true; }).detach();
    foreign_result = CFRunLoopRunInMode(kCFRunLoopDefaultMode, 10.0, true);
    loop.stop();
  });
  loop.run();
  EXPECT_TRUE(fired);
  EXPECT_EQ(foreign_result, kCFRunLoopRunHandledSource) << "the modal loop slept past our timer";
}

TEST(CfBackend, DeinitFromAHostTimerEndsRun) {
  ASSERT_TRUE(RunLoop::init());
  // Nothing of ours is handled after the host's timer: run() must still return.
  HostTimer host_timer(
      0.01, [](CFRunLoopTimerRef, void*) { RunLoop::deinit(); }, nullptr);
  RunLoop::current().run();
  EXPECT_FALSE(RunLoop::try_current());
}

TEST(CfBackend, AHostRunningCFRunLoopRun) {
  LoopFixture fixture;
  int ticks = 0;
  std::atomic<int> remote{0};
  Timer timer(1ms, [&] {
    if (++ticks == 5) CFRunLoopStop(CFRunLoopGetCurrent());
  });
  timer.start();
  std::thread producer([sender = RunLoop::sender(), &remote] {
    for (int i = 0; i < 100; ++i) sender.send([&remote] { ++remote; });
  });
  producer.join();
  CFRunLoopRun();
  EXPECT_EQ(ticks, 5);
  while (remote < 100) host_iterate(true);
}

}  // namespace
}  // namespace runloop::test
