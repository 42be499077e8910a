// Cancellation: the cooperative stop token, and the hard abort of a task suspended on an
// awaitable that is not ours, completed later by another thread.
#include <gtest/gtest.h>

#include <atomic>
#include <coroutine>
#include <mutex>
#include <stop_token>
#include <thread>

#include "interop_support.hpp"
#include "runloop/testing.hpp"
#include "test_support.hpp"

namespace runloop::test {
namespace {

TEST(TaskCancel, RequestStopFromAnotherThreadIsObservedByTheTask) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  std::atomic<int> rounds{0};
  auto handle = loop.spawn([&]() -> Task<int> {
    std::stop_token token = co_await this_task::stop_token();
    EXPECT_TRUE(token.stop_possible());
    while (!token.stop_requested()) {
      ++rounds;
      co_await loop.delay(1ms);
    }
    co_return 7;  // a cooperative stop ends the task normally, with its own result
  });
  ASSERT_TRUE(run_until(loop, [&] { return rounds > 2; }));
  std::thread([&] { handle.request_stop(); }).join();
  ASSERT_TRUE(run_until(loop, [&] { return handle.is_finished(); }));
  EXPECT_EQ(**handle.try_take(), 7);
}

TEST(TaskCancel, StopRequestedBeforeTheTaskAskedIsSeen) {
  LoopFixture fixture;
  auto handle = fixture.loop().spawn(
      []() -> Task<bool> { co_return (co_await this_task::stop_token()).stop_requested(); });
  handle.request_stop();  // before the task ever ran
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  EXPECT_TRUE(**handle.try_take());
}

TEST(TaskCancel, NestedTasksShareTheSpawnedTasksToken) {
  LoopFixture fixture;
  auto inner = []() -> Task<bool> {
    co_return (co_await this_task::stop_token()).stop_requested();
  };
  auto handle = fixture.loop().spawn([&]() -> Task<bool> { co_return co_await inner(); });
  handle.request_stop();
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return handle.is_finished(); }));
  EXPECT_TRUE(**handle.try_take());
}

// abort() requests stop first: a stop callback of the task runs, then its frame goes.
TEST(TaskCancel, AbortRunsTheTasksStopCallbacksFirst) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool callback_ran = false, suspended = false;
  auto handle = loop.spawn([&]() -> Task<void> {
    std::stop_callback on_stop(co_await this_task::stop_token(), [&] { callback_ran = true; });
    suspended = true;
    co_await loop.delay(1h);
  });
  ASSERT_TRUE(run_until(loop, [&] { return suspended; }));
  handle.abort();
  EXPECT_TRUE(handle.is_finished());
  EXPECT_TRUE(callback_ran);
}

// A producer of results on a worker thread, as a third-party library would be: it keeps the
// coroutine handle it was given and resumes it when its work completes.
class WorkerQueue {
 public:
  ~WorkerQueue() { finish(); }

  struct Awaitable {
    WorkerQueue* queue;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> continuation) {
      std::lock_guard lock(queue->mutex_);
      queue->pending_ = continuation;
      queue->submitted_.set();
    }
    int await_resume() const noexcept { return 5; }
  };
  Awaitable work() { return Awaitable{this}; }
  bool submitted() const { return submitted_.get(); }

  // Completes the pending work on a worker thread, as late as the test wants.
  void complete_on_worker() {
    worker_ = std::thread([this] {
      std::coroutine_handle<> continuation;
      {
        std::lock_guard lock(mutex_);
        continuation = std::exchange(pending_, {});
      }
      if (continuation) continuation.resume();
      completed_.set();
    });
  }
  bool completed() const { return completed_.get(); }
  void finish() {
    if (worker_.joinable()) worker_.join();
  }

 private:
  std::mutex mutex_;
  std::coroutine_handle<> pending_;
  Flag submitted_, completed_;
  std::thread worker_;
};

// The producer still holds the resume handle when the task is aborted: abort finishes the
// task at once (locals destroyed on the loop thread); the late completion resumes only the
// small hop the task gave the producer, which finds the task ended and frees itself. No
// use-after-free (ASan), no leak (LSan).
TEST(TaskCancel, AbortWhileAForeignAwaitableIsPendingThenTheWorkerCompletesIt) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  WorkerQueue queue;
  struct Local {
    bool* destroyed;
    ~Local() { *destroyed = RunLoop::is_run_loop_thread(); }
  };
  bool destroyed_on_loop = false, resumed = false;
  auto handle = loop.spawn([&]() -> Task<int> {
    Local local{&destroyed_on_loop};
    int value = co_await queue.work();
    resumed = true;
    co_return value;
  });
  ASSERT_TRUE(run_until(loop, [&] { return queue.submitted(); }));
  handle.abort();
  EXPECT_TRUE(handle.is_finished());
  EXPECT_TRUE(destroyed_on_loop);
  EXPECT_TRUE(handle.try_take()->error().is_aborted());
  queue.complete_on_worker();  // resumes the hop on the worker thread
  // The hop only queues work for the loop: the worker needs no loop to finish. (Waiting with
  // run_until() instead slept until its timeout whenever the hop's wake-up came before
  // completed() was set, since nothing wakes the loop after that.)
  queue.finish();
  ASSERT_TRUE(queue.completed());
  ASSERT_TRUE(run_for(loop, 5ms));  // the hop's queued wake-up finds the task ended
  EXPECT_FALSE(resumed);
}

// The same, with the loop shut down before the worker completes: the hop finds the loop gone.
TEST(TaskCancel, ForeignAwaitableCompletedAfterTheLoopIsGone) {
  WorkerQueue queue;
  bool resumed = false;
  {
    LoopFixture fixture;
    auto loop = fixture.loop();
    auto handle = loop.spawn([&]() -> Task<void> {
      (void)co_await queue.work();
      resumed = true;
    });
    ASSERT_TRUE(run_until(loop, [&] { return queue.submitted(); }));
  }  // deinit() aborts the task
  queue.complete_on_worker();
  queue.finish();
  EXPECT_TRUE(queue.completed());
  EXPECT_FALSE(resumed);
}

}  // namespace
}  // namespace runloop::test
