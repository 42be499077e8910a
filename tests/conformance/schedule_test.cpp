// schedule() and Handle: ordering, deadlines, cancellation.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace runloop::test {
namespace {

// Counts destructions of the callable, to prove a callback was destroyed unrun.
struct DropProbe {
  explicit DropProbe(int* drops) : drops_(drops) {}
  DropProbe(DropProbe&& other) noexcept : drops_(std::exchange(other.drops_, nullptr)) {}
  ~DropProbe() {
    if (drops_) ++*drops_;
  }
  int* drops_;
};

TEST(Schedule, ZeroDelayNeverRunsInline) {
  LoopFixture fixture;
  bool ran = false;
  auto handle = fixture.loop().schedule(0ms, [&] { ran = true; });
  EXPECT_FALSE(ran);
  EXPECT_TRUE(run_until(fixture.loop(), [&] { return ran; }));
}

TEST(Schedule, NeverFiresBeforeItsDeadline) {
  LoopFixture fixture;
  std::vector<std::pair<std::chrono::nanoseconds, std::chrono::nanoseconds>> fired;
  std::vector<Handle> handles;
  for (auto delay : {1ms, 3ms, 10ms, 25ms}) {
    const auto scheduled = RunLoop::Clock::now();
    handles.push_back(fixture.loop().schedule(delay, [&fired, delay, scheduled] {
      fired.emplace_back(delay, RunLoop::Clock::now() - scheduled);
    }));
  }
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return fired.size() == 4; }));
  for (auto [delay, waited] : fired) EXPECT_GE(waited, delay);
}

TEST(Schedule, EqualDeadlinesFireInScheduleOrder) {
  LoopFixture fixture;
  std::vector<int> order;
  std::vector<Handle> handles;
  const auto deadline = RunLoop::Clock::now() + 5ms;
  for (int i = 0; i < 100; ++i) {
    handles.push_back(fixture.loop().schedule_at(deadline, [&order, i] { order.push_back(i); }));
  }
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return order.size() == 100; }));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(Schedule, EarlierDeadlineFiresFirst) {
  LoopFixture fixture;
  std::vector<int> order;
  auto late = fixture.loop().schedule(20ms, [&] { order.push_back(2); });
  auto early = fixture.loop().schedule(1ms, [&] { order.push_back(1); });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return order.size() == 2; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(Schedule, DroppingTheHandleCancelsAndDestroysTheCallback) {
  LoopFixture fixture;
  int drops = 0;
  bool ran = false;
  {
    auto handle = fixture.loop().schedule(1ms, [&ran, probe = DropProbe(&drops)] { ran = true; });
    EXPECT_TRUE(handle);
    EXPECT_EQ(drops, 0);
  }
  EXPECT_EQ(drops, 1);
  bool later = false;
  auto check = fixture.loop().schedule(10ms, [&] { later = true; });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return later; }));
  EXPECT_FALSE(ran);
}

TEST(Schedule, CancelInsideItsOwnCallbackIsSafe) {
  LoopFixture fixture;
  int runs = 0;
  Handle handle;
  handle = fixture.loop().schedule(0ms, [&] {
    ++runs;
    handle.cancel();
    handle.cancel();
  });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return runs == 1; }));
  EXPECT_FALSE(handle);
}

TEST(Schedule, CancelAfterFiringIsANoOp) {
  LoopFixture fixture;
  int runs = 0;
  auto handle = fixture.loop().schedule(0ms, [&] { ++runs; });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return runs == 1; }));
  EXPECT_FALSE(handle);  // fired: no longer pending
  handle.cancel();
  handle.cancel();
  EXPECT_EQ(runs, 1);
}

TEST(Schedule, CancelOneOfManyLeavesTheOthers) {
  LoopFixture fixture;
  std::vector<int> fired;
  std::vector<Handle> handles;
  for (int i = 0; i < 10; ++i) {
    handles.push_back(fixture.loop().schedule(std::chrono::milliseconds(i % 3),
                                              [&fired, i] { fired.push_back(i); }));
  }
  handles[4].cancel();
  handles[0].cancel();
  handles[9] = Handle();  // move-assignment cancels the previous one too
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return fired.size() == 7; }));
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3, 5, 6, 7, 8}));
}

TEST(Schedule, DetachedHandleStillFires) {
  LoopFixture fixture;
  bool ran = false;
  fixture.loop().schedule(1ms, [&] { ran = true; }).detach();
  EXPECT_TRUE(run_until(fixture.loop(), [&] { return ran; }));
}

TEST(Schedule, HandleCancelledOnAnotherThreadIsCancelledOnTheLoopThread) {
  LoopFixture fixture;
  bool ran = false;
  int drops = 0;
  auto handle = fixture.loop().schedule(50ms, [&ran, p = DropProbe(&drops)] { ran = true; });
  std::thread([&] { handle.cancel(); }).join();
  // The cancellation is handed to the loop thread: the callback is destroyed there.
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return drops == 1; }));
  bool later = false;
  auto check = fixture.loop().schedule(80ms, [&] { later = true; });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return later; }));
  EXPECT_FALSE(ran);
}

TEST(Schedule, HandleOutlivingDeinitIsHarmless) {
  Handle survivor;
  {
    LoopFixture fixture;
    survivor = fixture.loop().schedule(1h, [] {});
    EXPECT_TRUE(survivor);
    bool pending_elsewhere = false;
    std::thread([&] { pending_elsewhere = static_cast<bool>(survivor); }).join();
    EXPECT_TRUE(pending_elsewhere);
  }
  EXPECT_FALSE(survivor);  // its loop is gone, and its timer with it
  bool pending_elsewhere = true;
  std::thread([&] { pending_elsewhere = static_cast<bool>(survivor); }).join();
  EXPECT_FALSE(pending_elsewhere);
  survivor.cancel();
  EXPECT_FALSE(survivor);
  LoopFixture again;  // a new lifetime: the old token must not cancel anything here
  bool ran = false;
  auto fresh = again.loop().schedule(0ms, [&] { ran = true; });
  Handle stale = std::move(survivor);
  stale.cancel();
  EXPECT_TRUE(run_until(again.loop(), [&] { return ran; }));
}

TEST(Schedule, FiftyThousandTimersEachFireOnce) {
  LoopFixture fixture;
  constexpr int kCount = 50'000;
  std::vector<int> fired(kCount, 0);
  int total = 0;
  std::vector<Handle> handles;
  handles.reserve(kCount);
  for (int i = 0; i < kCount; ++i) {
    handles.push_back(
        fixture.loop().schedule(std::chrono::microseconds((i * 7919) % 20000), [&fired, &total, i] {
          ++fired[i];
          ++total;
        }));
  }
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return total == kCount; }));
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(fired[i], 1) << "timer " << i;
}

TEST(Schedule, OffTheLoopThreadThrows) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool threw = false;
  std::thread([&] {
    try {
      (void)loop.schedule(0ms, [] {});
    } catch (const RunLoopError& e) {
      threw = e.error() == Error::NotRunLoopThread;
    }
  }).join();
  EXPECT_TRUE(threw);
}

}  // namespace
}  // namespace runloop::test
