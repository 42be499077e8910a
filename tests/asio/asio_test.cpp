// <runloop/asio.hpp>: asio's post, dispatch, bind_executor and co_spawn run completions on
// the loop thread; asio::awaitable coroutines hop between an io_context thread and the loop.
#include "runloop/asio.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "test_support.hpp"

namespace runloop::test {
namespace {

// An io_context with its own thread, as a network stack would have.
class IoThread {
 public:
  IoThread() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~IoThread() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  asio::io_context& io() { return io_; }
  std::thread::id id() const { return thread_.get_id(); }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

static_assert(asio::execution::is_executor<AsioExecutor>::value);
static_assert(std::is_convertible_v<AsioExecutor, asio::any_io_executor>);

TEST(Asio, PostFromAWorkerThreadRunsOnTheLoopThread) {
  LoopFixture fixture;
  auto executor = asio_executor(fixture.loop());
  std::atomic<int> ran{0};
  std::atomic<bool> all_on_loop{true};
  std::thread worker([&] {
    for (int i = 0; i < 100; ++i) {
      asio::post(executor, [&] {
        all_on_loop = all_on_loop && RunLoop::is_run_loop_thread();
        ++ran;
      });
    }
  });
  worker.join();
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return ran == 100; }));
  EXPECT_TRUE(all_on_loop);
}

TEST(Asio, PostNeverRunsInlineDispatchDoesOnTheLoopThread) {
  LoopFixture fixture;
  auto executor = asio_executor(RunLoop::sender());
  bool posted = false, dispatched = false;
  asio::post(executor, [&] { posted = true; });
  asio::dispatch(executor, [&] { dispatched = true; });
  EXPECT_FALSE(posted);
  EXPECT_TRUE(dispatched);  // blocking.possibly on the loop thread: inline, like io_context
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return posted; }));

  // From another thread dispatch queues.
  std::atomic<bool> on_loop{false};
  std::thread([&] {
    asio::dispatch(executor, [&] { on_loop = RunLoop::is_run_loop_thread(); });
  }).join();
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return on_loop.load(); }));
}

TEST(Asio, QueriesAndEquality) {
  LoopFixture fixture;
  auto a = asio_executor(fixture.loop());
  auto b = asio_executor(RunLoop::sender());
  EXPECT_TRUE(a == b);  // same loop
  EXPECT_TRUE(asio::query(a, asio::execution::blocking) == asio::execution::blocking.never);
  auto possibly = asio::require(a, asio::execution::blocking.possibly);
  EXPECT_TRUE(asio::query(possibly, asio::execution::blocking) ==
              asio::execution::blocking.possibly);
  EXPECT_FALSE(possibly == a);
  EXPECT_TRUE(asio::require(possibly, asio::execution::blocking.never) == a);
  asio::execution_context& context = asio::query(a, asio::execution::context);
  EXPECT_EQ(&context, &asio::query(possibly, asio::execution::context));  // shared by copies
  asio::any_io_executor any = a;
  EXPECT_TRUE(any.target<AsioExecutor>() != nullptr);
}

TEST(Asio, BindExecutorRunsATimerHandlerOnTheLoopThread) {
  LoopFixture fixture;
  IoThread io;
  asio::steady_timer timer(io.io(), 2ms);
  std::atomic<bool> done{false};
  bool on_loop = false;
  asio::error_code result = asio::error::operation_aborted;
  timer.async_wait(asio::bind_executor(asio_executor(fixture.loop()), [&](asio::error_code ec) {
    on_loop = RunLoop::is_run_loop_thread();
    result = ec;
    done = true;
  }));
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return done.load(); }));
  EXPECT_TRUE(on_loop);
  EXPECT_FALSE(result);
}

// Runs on the io_context's thread.
asio::awaitable<std::thread::id> work_on_io() {
  co_return std::this_thread::get_id();
}

struct Hops {
  std::thread::id started, after_timer, io_worker, after_io;
};

// Runs on the loop: waits for a timer of the io_context, then for a coroutine that runs on
// the io_context's thread, and comes back to the loop thread after each.
asio::awaitable<int> hop_around(asio::io_context& io, Hops* hops) {
  hops->started = std::this_thread::get_id();
  asio::steady_timer timer(io, 1ms);
  co_await timer.async_wait(asio::use_awaitable);
  hops->after_timer = std::this_thread::get_id();
  hops->io_worker = co_await asio::co_spawn(io, work_on_io(), asio::use_awaitable);
  hops->after_io = std::this_thread::get_id();
  co_return 42;
}

TEST(Asio, CoSpawnResumesOnTheLoopThreadAfterWorkOnAnIoContextThread) {
  LoopFixture fixture;
  IoThread io;
  Hops hops;
  std::optional<int> value;
  bool handler_on_loop = false;
  asio::co_spawn(asio_executor(fixture.loop()), hop_around(io.io(), &hops),
                 [&](std::exception_ptr error, int v) {
                   handler_on_loop = RunLoop::is_run_loop_thread();
                   if (!error) value = v;
                 });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return value.has_value(); }));
  const auto loop_thread = std::this_thread::get_id();
  EXPECT_EQ(hops.started, loop_thread);
  EXPECT_EQ(hops.after_timer, loop_thread);
  EXPECT_EQ(hops.io_worker, io.id());
  EXPECT_EQ(hops.after_io, loop_thread);
  EXPECT_TRUE(handler_on_loop);
  EXPECT_EQ(*value, 42);
}

TEST(Asio, HandlersPostedAfterTheLoopIsGoneAreDestroyedUnrun) {
  std::optional<AsioExecutor> executor;
  {
    LoopFixture fixture;
    executor = asio_executor(fixture.loop());
  }
  auto alive = std::make_shared<int>(1);
  std::weak_ptr<int> weak = alive;
  bool ran = false;
  asio::post(*executor, [&ran, alive = std::move(alive)] { ran = true; });
  EXPECT_FALSE(ran);
  EXPECT_TRUE(weak.expired());  // destroyed, on this thread
}

// An awaitable suspended on an io_context operation when the loop goes away: its completion
// cannot reach the loop any more, so asio destroys the coroutine (not leaked, LSan).
TEST(Asio, AwaitablePendingWhenTheLoopGoesAwayIsDestroyedNotLeaked) {
  IoThread io;
  asio::steady_timer timer(io.io(), 1h);
  auto alive = std::make_shared<int>(1);
  std::weak_ptr<int> weak = alive;
  std::atomic<bool> waiting{false}, finished{false};
  {
    LoopFixture fixture;
    asio::co_spawn(
        asio_executor(fixture.loop()),
        [&, alive = std::move(alive)]() -> asio::awaitable<void> {
          waiting = true;
          asio::error_code ec;
          co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
          finished = true;
        },
        asio::detached);
    ASSERT_TRUE(run_until(fixture.loop(), [&] { return waiting.load(); }));
  }
  asio::post(io.io(), [&] { timer.cancel(); });  // its completion finds the loop gone
  EXPECT_TRUE(wait_until([&] { return weak.expired(); }));
  EXPECT_FALSE(finished);
}

TEST(Asio, AnExceptionFromAHandlerGoesToTheExceptionHandler) {
  LoopFixture fixture;
  std::string caught;
  set_exception_handler([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      caught = ex.what();
    }
  });
  asio::post(asio_executor(fixture.loop()), [] { throw std::runtime_error("from asio"); });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return !caught.empty(); }));
  set_exception_handler(nullptr);
  EXPECT_EQ(caught, "from asio");
}

}  // namespace
}  // namespace runloop::test
