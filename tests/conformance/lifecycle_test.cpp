// Lifecycle: init/deinit reference counting, thread affinity, misuse.
#include <gtest/gtest.h>

#include <thread>

#include "test_support.hpp"

namespace runloop::test {
namespace {

template <class F>
auto on_other_thread(F&& f) {
  decltype(f()) result{};
  std::thread([&] { result = f(); }).join();
  return result;
}

TEST(Lifecycle, InitDeinitReinit) {
  ASSERT_TRUE(init_loop());
  EXPECT_TRUE(RunLoop::is_run_loop_thread());
  RunLoop::deinit();
  EXPECT_FALSE(RunLoop::is_run_loop_thread());
  ASSERT_TRUE(init_loop());
  bool ran = false;
  auto loop = RunLoop::current();
  auto handle = loop.schedule(0ms, [&] {
    ran = true;
    loop.stop();
  });
  loop.run();
  EXPECT_TRUE(ran);
  RunLoop::deinit();
}

TEST(Lifecycle, InitIsReferenceCounted) {
  ASSERT_TRUE(init_loop());
  ASSERT_TRUE(init_loop());
  RunLoop::deinit();
  EXPECT_TRUE(RunLoop::is_run_loop_thread());
  EXPECT_TRUE(RunLoop::try_current());
  RunLoop::deinit();
  EXPECT_FALSE(RunLoop::is_run_loop_thread());
  EXPECT_EQ(RunLoop::try_current().error(), Error::NotInitialized);
}

TEST(Lifecycle, ExtraDeinitIsANoOp) {
  RunLoop::deinit();
  ASSERT_TRUE(init_loop());
  RunLoop::deinit();
  RunLoop::deinit();
  ASSERT_TRUE(init_loop());  // no underflow: one init is one reference again
  EXPECT_TRUE(RunLoop::is_run_loop_thread());
  RunLoop::deinit();
  EXPECT_FALSE(RunLoop::is_run_loop_thread());
}

TEST(Lifecycle, InitFromAnotherThreadFailsAndLeavesCountUnchanged) {
  ASSERT_TRUE(init_loop());
  auto error = on_other_thread([] {
    auto result = init_loop();
    return result ? Error{} : result.error();
  });
  EXPECT_EQ(error, Error::NotRunLoopThread);
  RunLoop::deinit();  // the only reference: the loop must now be gone
  EXPECT_FALSE(RunLoop::is_run_loop_thread());
  // ...so another thread may now become the run loop thread.
  bool became_loop_thread = on_other_thread([] {
    bool ok = init_loop().has_value() && RunLoop::is_run_loop_thread();
    RunLoop::deinit();
    return ok;
  });
  EXPECT_TRUE(became_loop_thread);
}

TEST(Lifecycle, DeinitFromAnotherThreadChangesNothing) {
  ASSERT_TRUE(init_loop());
  std::thread([] { RunLoop::deinit(); }).join();
  EXPECT_TRUE(RunLoop::is_run_loop_thread());
  EXPECT_TRUE(RunLoop::try_current());
  RunLoop::deinit();
  EXPECT_FALSE(RunLoop::try_current());
}

TEST(Lifecycle, CurrentThrowsBeforeInitAndOffThread) {
  try {
    (void)RunLoop::current();
    FAIL() << "current() before init must throw";
  } catch (const RunLoopError& e) {
    EXPECT_EQ(e.error(), Error::NotInitialized);
    EXPECT_NE(std::string(e.what()).find("not initialized"), std::string::npos);
  }
  LoopFixture fixture;
  auto error = on_other_thread([] {
    try {
      (void)RunLoop::current();
    } catch (const RunLoopError& e) {
      return e.error();
    }
    return Error{};
  });
  EXPECT_EQ(error, Error::NotRunLoopThread);
  EXPECT_EQ(on_other_thread([] { return RunLoop::try_current().error(); }),
            Error::NotRunLoopThread);
  EXPECT_FALSE(on_other_thread([] { return RunLoop::is_run_loop_thread(); }));
}

TEST(Lifecycle, AcquireIsRaiiAndFailedAcquireChangesNothing) {
  {
    auto guard = acquire_loop();
    EXPECT_TRUE(RunLoop::is_run_loop_thread());
    bool threw = on_other_thread([] {
      try {
        auto g = acquire_loop();
      } catch (const RunLoopError& e) {
        return e.error() == Error::NotRunLoopThread;
      }
      return false;
    });
    EXPECT_TRUE(threw);
  }
  EXPECT_FALSE(RunLoop::is_run_loop_thread());
}

TEST(Lifecycle, StaleRunLoopThrowsAfterDeinit) {
  ASSERT_TRUE(init_loop());
  auto loop = RunLoop::current();
  RunLoop::deinit();
  EXPECT_THROW(loop.run(), RunLoopError);
  EXPECT_THROW((void)loop.schedule(0ms, [] {}), RunLoopError);
  ASSERT_TRUE(init_loop());
  EXPECT_THROW(loop.run(), RunLoopError);  // a new lifetime is not the old one
  RunLoop::deinit();
}

TEST(Lifecycle, SenderBeforeInitThrows) {
  EXPECT_THROW(RunLoop::sender(), RunLoopError);
}

TEST(Lifecycle, ErrorCodesHaveReadableMessages) {
  std::error_code code = Error::NestedBlockOn;
  EXPECT_EQ(code.category().name(), std::string("runloop"));
  EXPECT_NE(code.message().find("block_on"), std::string::npos);
  EXPECT_EQ(make_error_code(Error::NotRunLoopThread).value(),
            static_cast<int>(Error::NotRunLoopThread));
}

TEST(Lifecycle, LoopRunsOnABackgroundThread) {
  bool ran = false;
  std::thread([&] {
    LoopFixture fixture;
    auto handle = fixture.loop().schedule(1ms, [&] {
      ran = true;
      fixture.loop().stop();
    });
    fixture.loop().run();
  }).join();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace runloop::test
