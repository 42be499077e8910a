// block_on and the testing helpers (ports of the seed's block_on and helper tests).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <tuple>

#include "runloop/testing.hpp"
#include "test_support.hpp"

namespace runloop::test {
namespace {

Task<int> seven() {
  co_return 7;
}

TEST(BlockOn, Simple) {
  LoopFixture fixture;
  EXPECT_EQ(fixture.loop().block_on(seven()), 7);
}

TEST(BlockOn, WithDelay) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  const auto start = RunLoop::Clock::now();
  loop.block_on([](RunLoop l) -> Task<void> { co_await l.delay(10ms); }(loop));
  EXPECT_GE(RunLoop::Clock::now() - start, 10ms);
}

TEST(BlockOn, DrivesOtherWork) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool timer_fired = false, task_done = false, sent = false;
  auto timer = loop.schedule(1ms, [&] { timer_fired = true; });
  auto other = loop.spawn([&]() -> Task<void> {
    co_await loop.delay(1ms);
    task_done = true;
  });
  std::thread([&, sender = RunLoop::sender()] { sender.send([&] { sent = true; }); }).join();
  loop.block_on([&]() -> Task<void> {
    while (!(timer_fired && task_done && sent)) co_await loop.delay(1ms);
  }());
  EXPECT_TRUE(timer_fired && task_done && sent);
}

TEST(BlockOn, NestedThrowsAndTheLoopStaysUsable) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool nested_threw = false;
  loop.block_on([&]() -> Task<void> {
    try {
      loop.block_on(seven());
    } catch (const RunLoopError& e) {
      nested_threw = e.error() == Error::NestedBlockOn;
    }
    co_return;
  }());
  EXPECT_TRUE(nested_threw);
  EXPECT_EQ(loop.block_on(seven()), 7);
}

TEST(BlockOn, ExceptionPropagatesAndTheLoopRecovers) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  try {
    loop.block_on([]() -> Task<int> {
      throw std::runtime_error("inside");
      co_return 0;
    }());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "inside");
  }
  EXPECT_EQ(loop.block_on(seven()), 7);
}

TEST(BlockOn, TaskBorrowingALocalObject) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  std::string local = "borrowed";
  auto length = loop.block_on([](RunLoop l, const std::string& s) -> Task<size_t> {
    co_await l.delay(1ms);
    co_return s.size();
  }(loop, local));
  EXPECT_EQ(length, local.size());
}

TEST(BlockOn, AfterDeinitThrows) {
  ASSERT_TRUE(init_loop());
  auto loop = RunLoop::current();
  RunLoop::deinit();
  EXPECT_THROW(loop.block_on(seven()), RunLoopError);
}

TEST(BlockOn, DeinitInsideTheTaskThrowsNotInitialized) {
  ASSERT_TRUE(init_loop());
  auto loop = RunLoop::current();
  try {
    loop.block_on([loop]() -> Task<void> {
      RunLoop::deinit();
      co_await loop.delay(1h);
    }());
    FAIL();
  } catch (const RunLoopError& e) {
    EXPECT_EQ(e.error(), Error::NotInitialized);
  }
  EXPECT_FALSE(RunLoop::try_current());
}

TEST(Helpers, RunAsyncReturnsGenericAndTupleValues) {
  EXPECT_EQ(testing::run_async(seven()), 7);
  EXPECT_EQ(testing::run_async([]() -> Task<std::string> { co_return "text"; }), "text");
  auto tuple = testing::run_async([]() -> Task<std::tuple<int, std::string>> {
    co_await RunLoop::current().delay(1ms);
    co_return std::make_tuple(1, std::string("one"));
  });
  EXPECT_EQ(tuple, std::make_tuple(1, std::string("one")));
  EXPECT_FALSE(RunLoop::try_current());  // shut down afterwards
}

TEST(Helpers, RunAsyncPropagatesExceptionsAfterShutdown) {
  try {
    testing::run_async([]() -> Task<void> {
      throw std::runtime_error("helper failure");
      co_return;
    });
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "helper failure");
  }
  EXPECT_FALSE(RunLoop::try_current());
}

TEST(Helpers, RunOnLoopRunsTheBodyOnTheLoopThread) {
  bool on_loop = false;
  int code = testing::run_on_loop([&] {
    on_loop = RunLoop::is_run_loop_thread();
    return 3;
  });
  EXPECT_EQ(code, 3);
  EXPECT_TRUE(on_loop);
  EXPECT_FALSE(RunLoop::try_current());
}

}  // namespace
}  // namespace runloop::test
