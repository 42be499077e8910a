// Coroutines that are not runloop::Task: resume_on, delay and JoinHandle awaited from a
// user's own coroutine type, on the loop thread and from other threads, and what happens
// to them when the loop shuts down.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "interop_support.hpp"
#include "runloop/testing.hpp"
#include "test_support.hpp"

namespace runloop::test {
namespace {

// Where each step of a coroutine ran.
struct Trace {
  std::thread::id before;
  std::thread::id after;
  bool after_on_loop = false;
  Flag done;
};

Coro hop(Sender target, Trace* trace) {
  trace->before = std::this_thread::get_id();
  co_await resume_on(std::move(target));
  trace->after = std::this_thread::get_id();
  trace->after_on_loop = RunLoop::is_run_loop_thread();
  trace->done.set();
}

Coro hop_loop(RunLoop loop, Trace* trace) {
  trace->before = std::this_thread::get_id();
  co_await resume_on(loop);
  trace->after = std::this_thread::get_id();
  trace->after_on_loop = RunLoop::is_run_loop_thread();
  trace->done.set();
}

TEST(ResumeOn, FromAWorkerThreadLandsOnTheLoopThread) {
  LoopFixture fixture;
  Trace by_sender, by_loop;
  Coro a, b;
  std::thread worker([&, sender = RunLoop::sender(), loop = fixture.loop()] {
    a = hop(sender, &by_sender);
    b = hop_loop(loop, &by_loop);
  });
  worker.join();
  ASSERT_TRUE(
      run_until(fixture.loop(), [&] { return by_sender.done.get() && by_loop.done.get(); }));
  for (Trace* trace : {&by_sender, &by_loop}) {
    EXPECT_NE(trace->before, std::this_thread::get_id());
    EXPECT_EQ(trace->after, std::this_thread::get_id());
    EXPECT_TRUE(trace->after_on_loop);
  }
  EXPECT_TRUE(a.done() && b.done());
}

TEST(ResumeOn, OnTheLoopThreadItStillSuspends) {
  LoopFixture fixture;
  Trace trace;
  Coro coro = hop_loop(fixture.loop(), &trace);
  EXPECT_FALSE(trace.done.get());  // not inline: the caller got control back first
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return trace.done.get(); }));
  EXPECT_TRUE(trace.after_on_loop);

  // Inside a runloop::Task: work queued before the await runs before the continuation.
  bool queued_ran = false;
  auto handle = fixture.loop().spawn([&, loop = fixture.loop()]() -> Task<bool> {
    RunLoop::sender().send([&] { queued_ran = true; });
    co_await resume_on(loop);
    co_return queued_ran;
  });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  EXPECT_TRUE(**handle.try_take());
}

Coro hop_catching(Sender target, std::string* error, std::thread::id* where) {
  try {
    co_await resume_on(std::move(target));
  } catch (const RunLoopError& e) {
    *error = e.what();
    EXPECT_EQ(e.error(), Error::NotInitialized);
  }
  *where = std::this_thread::get_id();
}

TEST(ResumeOn, ALoopThatIsGoneThrowsOnTheCallingThread) {
  ASSERT_TRUE(init_loop());
  auto sender = RunLoop::sender();
  RunLoop::deinit();
  std::string error;
  std::thread::id where;
  std::thread::id worker_id;
  std::thread worker([&] {
    worker_id = std::this_thread::get_id();
    Coro coro = hop_catching(sender, &error, &where);
    EXPECT_TRUE(coro.done());  // resumed at once, here
  });
  worker.join();
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(where, worker_id);
}

// Queued when the loop shuts down: resumed during deinit(), on the loop thread, with the
// error; never leaked (LSan) and never run anywhere else.
TEST(ResumeOn, QueuedAtShutdownResumesWithTheErrorOnTheLoopThread) {
  ASSERT_TRUE(init_loop());
  std::string error;
  std::thread::id where;
  Coro coro;
  std::thread([&, sender = RunLoop::sender()] {
    coro = hop_catching(sender, &error, &where);
  }).join();
  EXPECT_FALSE(coro.done());
  RunLoop::deinit();
  EXPECT_TRUE(coro.done());
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(where, std::this_thread::get_id());
}

// loop.delay() and a JoinHandle, awaited from the custom coroutine type on the loop thread.
Coro sleep_then_join(RunLoop loop, JoinHandle<int>& handle, int* got, bool* on_loop) {
  co_await loop.delay(2ms);
  *on_loop = RunLoop::is_run_loop_thread();
  auto result = co_await handle;
  *got = result ? *result : -1;
}

TEST(ResumeOn, DelayAndJoinHandleFromAnotherCoroutineType) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool go = false;
  auto target = loop.spawn([&]() -> Task<int> {
    while (!go) co_await loop.delay(1ms);
    co_return 42;
  });
  int got = 0;
  bool on_loop = false;
  const auto start = RunLoop::Clock::now();
  Coro coro = sleep_then_join(loop, target, &got, &on_loop);
  ASSERT_TRUE(run_until(loop, [&] { return on_loop; }));
  EXPECT_GE(RunLoop::Clock::now() - start, 2ms);
  EXPECT_FALSE(coro.done());  // waiting for the task
  go = true;
  ASSERT_TRUE(run_until(loop, [&] { return coro.done(); }));
  EXPECT_EQ(got, 42);
}

// A Task and another coroutine type wait for one handle at once: both get the result.
TEST(ResumeOn, ATaskAndAnotherCoroutineAwaitOneHandle) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool go = false, on_loop = false;
  auto target = loop.spawn([&]() -> Task<int> {
    while (!go) co_await loop.delay(1ms);
    co_return 9;
  });
  auto task_waiter = loop.spawn([&]() -> Task<int> { co_return (co_await target).value_or(-1); });
  ASSERT_TRUE(run_for(loop, 3ms));
  int got = 0;
  Coro coro = sleep_then_join(loop, target, &got, &on_loop);
  ASSERT_TRUE(run_until(loop, [&] { return on_loop; }));
  go = true;
  ASSERT_TRUE(run_until(loop, [&] { return coro.done() && task_waiter.is_finished(); }));
  EXPECT_EQ(got, 9);
  EXPECT_EQ(**task_waiter.try_take(), 9);
}

Coro delay_catching(RunLoop loop, std::chrono::nanoseconds d, Error* error) {
  try {
    co_await loop.delay(d);
  } catch (const RunLoopError& e) {
    *error = e.error();
  }
}

TEST(ResumeOn, DelayOffTheLoopThreadThrowsNotRunLoopThread) {
  LoopFixture fixture;
  Error error = Error::AlreadyInitialized;
  std::thread([&, loop = fixture.loop()] {
    Coro coro = delay_catching(loop, 1ms, &error);
    EXPECT_TRUE(coro.done());
  }).join();
  EXPECT_EQ(error, Error::NotRunLoopThread);
}

TEST(ResumeOn, DelayPendingAtShutdownResumesWithNotInitialized) {
  ASSERT_TRUE(init_loop());
  Error error = Error::AlreadyInitialized;
  Coro coro = delay_catching(RunLoop::current(), 1h, &error);
  EXPECT_FALSE(coro.done());
  RunLoop::deinit();
  EXPECT_TRUE(coro.done());
  EXPECT_EQ(error, Error::NotInitialized);
}

TEST(ResumeOn, CoroutineDestroyedWhileWaitingIsNeverResumed) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool go = false;
  auto target = loop.spawn([&]() -> Task<int> {
    while (!go) co_await loop.delay(1ms);
    co_return 1;
  });
  Error error = Error::AlreadyInitialized;
  int got = 0;
  bool on_loop = false;
  {
    Coro sleeping = delay_catching(loop, 1ms, &error);
    Coro joining = sleep_then_join(loop, target, &got, &on_loop);
    ASSERT_TRUE(run_until(loop, [&] { return on_loop; }));
  }  // both destroyed while suspended: the timer and the registration go with them
  go = true;
  ASSERT_TRUE(run_until(loop, [&] { return target.is_finished(); }));
  ASSERT_TRUE(run_for(loop, 5ms));
  EXPECT_EQ(got, 0);
  EXPECT_EQ(error, Error::AlreadyInitialized);
  EXPECT_EQ(**target.try_take(), 1);  // nobody else took it
}

TEST(ResumeOn, JoinHandleAwaitedAtShutdownResumesWithAborted) {
  ASSERT_TRUE(init_loop());
  auto loop = RunLoop::current();
  auto target = loop.spawn([loop]() -> Task<int> {
    co_await loop.delay(1h);
    co_return 1;
  });
  int got = 0;
  bool on_loop = false;
  Coro coro = sleep_then_join(loop, target, &got, &on_loop);
  ASSERT_TRUE(run_until(loop, [&] { return on_loop; }));
  RunLoop::deinit();
  EXPECT_TRUE(coro.done());
  EXPECT_EQ(got, -1);
}

}  // namespace
}  // namespace runloop::test
