// The driving surface of host-driven mode: poll_fd(), poll_timeout(), dispatch(), and the
// mode rules of init(host_driven). The loop is driven only through the surface here.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "fd_test_util.hpp"
#include "runloop/host_driven.hpp"
#include "test_support.hpp"

namespace runloop::test {
namespace {

using Clock = RunLoop::Clock;

class Surface : public ::testing::Test {
 protected:
  RunLoopGuard guard_ = RunLoop::acquire(host_driven);
  RunLoop loop_ = RunLoop::current();
  int fd_ = loop_.poll_fd();
};

TEST(HostDrivenMode, SharesTheReferenceCountAndRefusesTheOtherMode) {
  ASSERT_TRUE(RunLoop::init(host_driven));
  ASSERT_TRUE(RunLoop::init(host_driven));  // one more reference
  auto other = RunLoop::init();
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error(), Error::AlreadyInitialized);
  RunLoop::deinit();
  EXPECT_TRUE(RunLoop::try_current()) << "a refused init() must not take a reference";
  RunLoop::deinit();
  EXPECT_FALSE(RunLoop::try_current());

  ASSERT_TRUE(RunLoop::init());
  auto host = RunLoop::init(host_driven);
  ASSERT_FALSE(host);
  EXPECT_EQ(host.error(), Error::AlreadyInitialized);
  RunLoop::deinit();
  EXPECT_FALSE(RunLoop::try_current());
}

TEST(HostDrivenMode, OtherThreadsGetNotRunLoopThread) {
  auto guard = RunLoop::acquire(host_driven);
  std::thread([] {
    auto result = RunLoop::init(host_driven);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error(), Error::NotRunLoopThread);
  }).join();
  const RunLoop loop = RunLoop::current();
  std::thread([loop] {
    try {
      (void)loop.poll_fd();
      ADD_FAILURE() << "poll_fd() off the loop thread must throw";
    } catch (const RunLoopError& e) {
      EXPECT_EQ(e.error(), Error::NotRunLoopThread);
    }
    EXPECT_THROW(loop.dispatch(), RunLoopError);
  }).join();
}

TEST_F(Surface, PollFdIsTheNonBlockingReadEndOfAPipeThatStaysTheSame) {
  struct stat info {};
  ASSERT_EQ(fstat(fd_, &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode)) << "hosts reject eventfds; a pipe is what they all take";
  EXPECT_NE(fcntl(fd_, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(fcntl(fd_, F_GETFD) & FD_CLOEXEC, 0);
  bool ran = false;
  RunLoop::sender().send([&] { ran = true; });
  while (!ran) loop_.dispatch();
  EXPECT_EQ(loop_.poll_fd(), fd_);
}

TEST_F(Surface, ReadableWhileWorkWaitsAndNotAfterDispatchRanIt) {
  EXPECT_FALSE(readable(fd_));
  std::atomic<bool> ran{false};
  std::thread([sender = RunLoop::sender(), &ran] { sender.send([&ran] { ran = true; }); }).join();
  EXPECT_TRUE(readable(fd_));
  EXPECT_TRUE(readable(fd_)) << "level-triggered: still readable until dispatch() ran it";
  EXPECT_FALSE(ran);
  loop_.dispatch();
  EXPECT_TRUE(ran);
  EXPECT_FALSE(readable(fd_));

  bool local = false;
  RunLoop::sender().send([&] { local = true; });  // from the loop thread: never inline
  EXPECT_FALSE(local);
  EXPECT_TRUE(readable(fd_));
  loop_.dispatch();
  EXPECT_TRUE(local);
  EXPECT_FALSE(readable(fd_));
}

TEST_F(Surface, WorkLeftAfterABatchKeepsItReadable) {
  // More than one bounded batch holds (core/batch_budget.hpp): each dispatch() runs one.
  constexpr int kSent = 2000;
  int ran = 0;
  for (int i = 0; i < kSent; ++i) RunLoop::sender().send([&] { ++ran; });
  int dispatches = 0;
  while (ran < kSent) {
    ASSERT_TRUE(readable(fd_)) << "work is left after " << ran << " ran";
    loop_.dispatch();
    ++dispatches;
  }
  EXPECT_GT(dispatches, 1) << "one dispatch() must run one bounded batch, not everything";
  // The core asks for a wake-up while a batch has work queued behind the running callback
  // (a nested loop must come back to us), so a batch of several may leave one spurious
  // readable: the next dispatch() finds nothing, and then it is quiet.
  if (readable(fd_)) loop_.dispatch();
  EXPECT_FALSE(readable(fd_));
  EXPECT_EQ(ran, kSent);
}

TEST_F(Surface, ADueTimerMakesItReadableWithNobodyCallingIn) {
  // A CLAP posix-fd host has no timeout from us: the descriptor alone must wake it.
  const auto deadline = Clock::now() + 20ms;
  bool fired = false;
  auto timer = loop_.schedule_at(deadline, [&] { fired = true; });
  ASSERT_TRUE(readable(fd_, std::chrono::duration_cast<std::chrono::milliseconds>(kTimeout)));
  EXPECT_GE(Clock::now(), deadline) << "readable before the deadline";
  loop_.dispatch();
  EXPECT_TRUE(fired);
  EXPECT_FALSE(readable(fd_));
}

TEST_F(Surface, AnEarlierTimerScheduledLaterStillWakesTheHost) {
  auto late = loop_.schedule(1h, [] {});
  bool fired = false;
  auto soon = loop_.schedule(5ms, [&] { fired = true; });
  ASSERT_TRUE(readable(fd_, std::chrono::duration_cast<std::chrono::milliseconds>(kTimeout)));
  loop_.dispatch();
  EXPECT_TRUE(fired);
}

TEST_F(Surface, PollTimeoutIsEmptyZeroOrTheNextDeadlineRoundedUp) {
  EXPECT_EQ(loop_.poll_timeout(), std::nullopt);
  const auto deadline = Clock::now() + 40ms + 300us;
  bool fired = false;
  auto timer = loop_.schedule_at(deadline, [&] { fired = true; });
  const auto timeout = loop_.poll_timeout();
  const auto after = Clock::now();
  ASSERT_TRUE(timeout.has_value());
  EXPECT_GE(after + *timeout, deadline) << "a host waiting that long must not be early";
  EXPECT_LE(*timeout, 41ms);
  RunLoop::sender().send([] {});
  EXPECT_EQ(loop_.poll_timeout(), 0ms);
  loop_.dispatch();
  ASSERT_TRUE(readable(fd_, std::chrono::duration_cast<std::chrono::milliseconds>(kTimeout)));
  EXPECT_EQ(loop_.poll_timeout(), 0ms) << "the deadline has passed";
  loop_.dispatch();
  EXPECT_TRUE(fired);
  EXPECT_EQ(loop_.poll_timeout(), std::nullopt);
}

TEST_F(Surface, SpuriousDispatchesAreHarmless) {
  // REAPER calls the handler on every iteration, readable or not.
  int ran = 0;
  auto later = loop_.schedule(1h, [&] { ++ran; });
  for (int i = 0; i < 10000; ++i) loop_.dispatch();
  EXPECT_EQ(ran, 0);
  EXPECT_FALSE(readable(fd_));
  EXPECT_TRUE(later);
}

TEST_F(Surface, RunAndNestedRunsWaitOnTheDescriptor) {
  int inner_runs = 0;
  bool outer_done = false;
  loop_
      .schedule(1ms,
                [&] {
                  // A modal loop inside a host-dispatched callback.
                  auto end = loop_.schedule(2ms, [&] { loop_.stop(); });
                  loop_.run();
                  ++inner_runs;
                })
      .detach();
  std::thread([sender = RunLoop::sender(), &outer_done] {
    sender.send([&outer_done] { outer_done = true; });
  }).join();
  EXPECT_TRUE(run_until(loop_, [&] { return inner_runs == 1 && outer_done; }));
}

TEST_F(Surface, BlockOnWaitsOnTheDescriptor) {
  std::thread worker;
  const int value = loop_.block_on([&]() -> Task<int> {
    co_await loop_.delay(2ms);
    struct FromThread {
      std::thread* worker;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> next) {
        *worker = std::thread([next] { next.resume(); });
      }
      int await_resume() const noexcept { return 5; }
    };
    co_return co_await FromThread{&worker};
  }());
  worker.join();
  EXPECT_EQ(value, 5);
}

TEST(HostDrivenMode, DeinitFromInsideDispatchIsSafe) {
  ASSERT_TRUE(RunLoop::init(host_driven));
  const RunLoop loop = RunLoop::current();
  bool after = false;
  RunLoop::sender().send([] { RunLoop::deinit(); });
  RunLoop::sender().send([&] { after = true; });
  loop.dispatch();
  EXPECT_FALSE(RunLoop::try_current());
  EXPECT_FALSE(after);
  EXPECT_THROW(loop.dispatch(), RunLoopError);
}

TEST(HostDrivenMode, NothingIsLeftAfterDeinit) {
  const std::size_t fds_before = open_fds();
  const std::size_t threads_before = thread_baseline();
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(RunLoop::init(host_driven));
    const RunLoop loop = RunLoop::current();
    auto timer = loop.schedule(1ms, [] {});
    RunLoop::sender().send([] {});
    ASSERT_GE(loop.poll_fd(), 0);
    loop.dispatch();
    RunLoop::deinit();
    EXPECT_EQ(open_fds(), fds_before) << "a descriptor of the loop is still open";
    EXPECT_TRUE(wait_until([&] { return threads() <= threads_before; }))
        << "a thread of the loop is still running";
  }
}

// init(): the same surface, alongside the native loop.
TEST(NativeMode, PollFdWorksAlongsideTheNativeLoop) {
  // The native loop's own descriptors (GLib's default context, a prepared ALooper) stay for
  // the life of the thread once made: the baseline includes them.
  { auto warm_up = RunLoop::acquire(); }
  const std::size_t fds_before = open_fds();
  {
    auto guard = RunLoop::acquire();
    const RunLoop loop = RunLoop::current();
    const int fd = loop.poll_fd();
    EXPECT_FALSE(readable(fd));
    bool first = false;
    std::thread([sender = RunLoop::sender(), &first] {
      sender.send([&first] { first = true; });
    }).join();
    EXPECT_TRUE(readable(fd));
    loop.dispatch();  // the host gets there first
    EXPECT_TRUE(first);
    EXPECT_FALSE(readable(fd));

    bool second = false;
    RunLoop::sender().send([&] { second = true; });
    EXPECT_TRUE(readable(fd));
    // The native loop gets there first: block_on() iterates it until the task is done, which
    // takes one batch (run() would not do here: stop() asks for one more iteration).
    loop.block_on([]() -> Task<void> { co_return; }());
    EXPECT_TRUE(second);
    // At most one spurious readable (see WorkLeftAfterABatchKeepsItReadable), which a
    // dispatch that finds nothing consumes.
    if (readable(fd)) loop.dispatch();
    EXPECT_FALSE(readable(fd)) << "the native loop's batch must clear the descriptor too";

    bool fired = false;
    auto timer = loop.schedule(5ms, [&] { fired = true; });
    ASSERT_TRUE(readable(fd, std::chrono::duration_cast<std::chrono::milliseconds>(kTimeout)));
    loop.dispatch();
    EXPECT_TRUE(fired);
    EXPECT_EQ(loop.poll_fd(), fd);
  }
  EXPECT_EQ(open_fds(), fds_before);
}

TEST(NativeMode, WorkQueuedBeforeTheFirstPollFdMakesItReadable) {
  auto guard = RunLoop::acquire();
  const RunLoop loop = RunLoop::current();
  bool ran = false;
  std::thread([sender = RunLoop::sender(), &ran] { sender.send([&ran] { ran = true; }); }).join();
  const int fd = loop.poll_fd();
  EXPECT_TRUE(readable(fd));
  loop.dispatch();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace runloop::test
