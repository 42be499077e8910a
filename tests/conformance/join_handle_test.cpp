// JoinHandle: several awaiters at once, exceptions nobody takes, block_on of an empty task.
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

class JoinHandleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_exception_handler([this](std::exception_ptr e) { reported.push_back(message_of(e)); });
  }
  void TearDown() override { set_exception_handler(nullptr); }
  std::vector<std::string> reported;
};

Task<int> after(RunLoop loop, std::chrono::nanoseconds delay, int value) {
  co_await loop.delay(delay);
  co_return value;
}

// Two tasks await one handle at once: both get the (copyable) result.
TEST_F(JoinHandleTest, TwoAwaitersBothGetTheResult) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool go = false;
  auto target = loop.spawn([&]() -> Task<std::string> {
    while (!go) co_await loop.delay(1ms);
    co_return "done";
  });
  auto waiter = [&]() -> Task<std::string> {
    auto result = co_await target;
    co_return result ? *result : "error";
  };
  auto first = loop.spawn(waiter);
  auto second = loop.spawn(waiter);
  ASSERT_TRUE(run_for(loop, 5ms));  // both are suspended on the handle
  go = true;
  ASSERT_TRUE(run_until(loop, [&] { return first.is_finished() && second.is_finished(); }));
  EXPECT_EQ(**first.try_take(), "done");
  EXPECT_EQ(**second.try_take(), "done");
  EXPECT_FALSE(target.try_take().has_value());  // the awaiters took it
}

// Aborting one of two awaiters leaves the other's registration alone.
TEST_F(JoinHandleTest, AbortingOneAwaiterLeavesTheOtherWaiting) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool go = false;
  auto target = loop.spawn([&]() -> Task<int> {
    while (!go) co_await loop.delay(1ms);
    co_return 7;
  });
  auto waiter = [&]() -> Task<int> { co_return (co_await target).value_or(-1); };
  auto first = loop.spawn(waiter);
  auto second = loop.spawn(waiter);
  ASSERT_TRUE(run_for(loop, 5ms));
  second.abort();  // the later registration goes: the first must still be woken
  go = true;
  ASSERT_TRUE(run_until(loop, [&] { return first.is_finished(); }));
  EXPECT_EQ(**first.try_take(), 7);

  // And the other way round.
  go = false;
  auto target2 = loop.spawn([&]() -> Task<int> {
    while (!go) co_await loop.delay(1ms);
    co_return 8;
  });
  auto waiter2 = [&]() -> Task<int> { co_return (co_await target2).value_or(-1); };
  auto third = loop.spawn(waiter2);
  auto fourth = loop.spawn(waiter2);
  ASSERT_TRUE(run_for(loop, 5ms));
  third.abort();
  go = true;
  ASSERT_TRUE(run_until(loop, [&] { return fourth.is_finished(); }));
  EXPECT_EQ(**fourth.try_take(), 8);
}

// A move-only result cannot go to two awaiters: the second fails at once, clearly.
TEST_F(JoinHandleTest, SecondAwaiterOfAMoveOnlyResultFailsAtOnce) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool go = false;
  auto target = loop.spawn([&]() -> Task<std::unique_ptr<int>> {
    while (!go) co_await loop.delay(1ms);
    co_return std::make_unique<int>(5);
  });
  auto first = loop.spawn([&]() -> Task<int> {
    auto result = co_await target;
    co_return result ? **result : -1;
  });
  ASSERT_TRUE(run_for(loop, 5ms));
  std::string error;
  auto second = loop.spawn([&]() -> Task<void> {
    try {
      (void)co_await target;
    } catch (const std::logic_error& e) {
      error = e.what();
    }
  });
  ASSERT_TRUE(run_until(loop, [&] { return second.is_finished(); }));  // at once: target runs on
  EXPECT_FALSE(target.is_finished());
  EXPECT_NE(error.find("already awaited"), std::string::npos) << error;
  go = true;
  ASSERT_TRUE(run_until(loop, [&] { return first.is_finished(); }));
  EXPECT_EQ(**first.try_take(), 5);
}

// An exception escaping a task whose handle was dropped reaches the exception handler.
TEST_F(JoinHandleTest, ExceptionOfADetachedTaskIsReported) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool thrown = false;
  loop.spawn([&]() -> Task<void> {
    co_await loop.delay(1ms);
    thrown = true;
    throw std::runtime_error("detached");
  });
  ASSERT_TRUE(run_until(loop, [&] { return thrown && !reported.empty(); }));
  ASSERT_TRUE(run_for(loop, 2ms));
  EXPECT_EQ(reported, std::vector<std::string>{"detached"});
}

// Dropped after it finished, before anyone took the result: reported at the drop, once,
// on whichever thread drops it.
TEST_F(JoinHandleTest, ExceptionReportedWhenAnUntakenHandleIsDropped) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  auto handle = loop.spawn([]() -> Task<int> {
    throw std::runtime_error("untaken");
    co_return 0;
  });
  ASSERT_TRUE(run_until(loop, [&] { return handle.is_finished(); }));
  EXPECT_TRUE(reported.empty());  // the handle may still take it
  { auto dropped = std::move(handle); }
  EXPECT_EQ(reported, std::vector<std::string>{"untaken"});

  auto other = loop.spawn([]() -> Task<void> {
    throw std::runtime_error("dropped elsewhere");
    co_return;
  });
  ASSERT_TRUE(run_until(loop, [&] { return other.is_finished(); }));
  std::thread([h = std::move(other)]() mutable { auto dropped = std::move(h); }).join();
  EXPECT_EQ(reported.size(), 2u);
  EXPECT_EQ(reported.back(), "dropped elsewhere");
}

// Taken, awaited or rethrown exceptions are not reported (a second time).
TEST_F(JoinHandleTest, ObservedExceptionsAreNotReported) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  auto thrower = [loop]() -> Task<int> {
    co_await loop.delay(1ms);
    throw std::runtime_error("seen");
  };
  auto taken = loop.spawn(thrower);
  auto awaited = loop.spawn(thrower);
  auto awaiter =
      loop.spawn([&]() -> Task<bool> { co_return (co_await awaited).error().is_panic(); });
  ASSERT_TRUE(run_until(loop, [&] { return taken.is_finished() && awaiter.is_finished(); }));
  EXPECT_TRUE(taken.try_take()->error().is_panic());
  EXPECT_TRUE(**awaiter.try_take());
  { auto a = std::move(taken), b = std::move(awaited); }
  EXPECT_THROW((void)loop.block_on(thrower()), std::runtime_error);
  ASSERT_TRUE(run_for(loop, 2ms));
  EXPECT_TRUE(reported.empty()) << reported.front();
}

// An exception escaping a task aborted while it ran is reported: its handle says Aborted.
TEST_F(JoinHandleTest, ExceptionOfATaskAbortedWhileRunningIsReported) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  JoinHandle<void> handle;
  handle = loop.spawn([&]() -> Task<void> {
    handle.abort();
    throw std::runtime_error("after abort");
    co_return;
  });
  ASSERT_TRUE(run_until(loop, [&] { return handle.is_finished(); }));
  EXPECT_TRUE(handle.try_take()->error().is_aborted());
  EXPECT_EQ(reported, std::vector<std::string>{"after abort"});
}

// block_on of an empty (default-constructed or moved-from) task is a clear argument error.
TEST_F(JoinHandleTest, BlockOnAnEmptyTaskThrowsInvalidArgument) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  EXPECT_THROW((void)loop.block_on(Task<int>{}), std::invalid_argument);
  auto task = after(loop, 0ms, 1);
  auto moved = std::move(task);
  EXPECT_THROW((void)loop.block_on(std::move(task)), std::invalid_argument);
  EXPECT_EQ(loop.block_on(std::move(moved)), 1);  // the loop stays usable
  EXPECT_THROW((void)testing::run_async(Task<void>{}), std::invalid_argument);
}

}  // namespace
}  // namespace runloop::test
