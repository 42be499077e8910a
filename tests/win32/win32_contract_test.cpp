// The Win32 backend against the backend contract (src/backends/backend.hpp), driven by a
// scripted delegate instead of the core: what poll_once(), arm_deadline() and wake() do in
// the exact situations that once hung or spun.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "backends/backend.hpp"
#include "test_support.hpp"
#include "win32_test_util.hpp"

namespace runloop::test {
namespace {

using detail::BackendDelegate;
using detail::Clock;
using detail::NextWork;
using detail::WorkReport;

// Answers what the test scripts and counts what the backend asks.
class ScriptedDelegate final : public BackendDelegate {
 public:
  WorkReport do_work() override {
    ++batches;
    if (on_work) on_work();
    return report;
  }
  NextWork next_work() const override { return report.next; }
  void native_timer_fired() noexcept override { ++native_timer_fires; }
  bool quit_requested() noexcept override {
    ++quit_requests;
    return quit_ends_a_run;
  }
  void retain() noexcept override {}
  void release() noexcept override {}

  WorkReport report;  // what every batch reports, and next_work() in between
  std::function<void()> on_work;
  bool quit_ends_a_run = false;
  int batches = 0;
  int native_timer_fires = 0;
  int quit_requests = 0;
};

class Win32Contract : public ::testing::Test {
 protected:
  void SetUp() override {
    drain_queue();
    auto created = detail::create_backend(delegate_);
    ASSERT_TRUE(created);
    backend_ = std::move(*created);
  }
  void TearDown() override {
    if (backend_) backend_->detach();
    backend_.reset();
    drain_queue();
  }

  // Nothing left over from an earlier test (a WM_QUIT would end the next one's waits).
  static void drain_queue() {
    MSG msg;
    while (PeekMessageW(&msg, nullptr, 0, 0, PM_REMOVE)) {
    }
  }

  ScriptedDelegate delegate_;
  std::unique_ptr<detail::Backend> backend_;
};

// Issue 10, item 1: the batch of this poll ran the last timer of a block_on; nothing is due
// or pending afterwards. The old poll_once only looked at the readiness it had read before
// the batch, and then waited forever.
TEST_F(Win32Contract, PollOnceNeverSleepsAfterABatchThatRanSomething) {
  delegate_.report = WorkReport{true, NextWork{}};
  HangRescuer rescuer;
  rescuer.arm();
  backend_->poll_once(true);
  rescuer.disarm();
  EXPECT_EQ(rescuer.rescues(), 0) << "poll_once() slept after a batch that ran something";
  EXPECT_GE(delegate_.batches, 1);
}

// And it does sleep when nothing ran and nothing is due, until the deadline.
TEST_F(Win32Contract, PollOnceSleepsUntilTheDeadlineWhenNothingRan) {
  const auto deadline = Clock::now() + 30ms;
  delegate_.report = WorkReport{false, NextWork{false, deadline}};
  backend_->poll_once(true);
  EXPECT_GE(Clock::now(), deadline);
  EXPECT_EQ(delegate_.batches, 2) << "one batch before the wait, one after";
}

// Issue 10, item 8: a deadline that is due already is not left to WM_TIMER (10 ms at best):
// a pump that is not ours (here the test's) runs the batch through a posted message.
TEST_F(Win32Contract, ArmingADueDeadlinePostsAWakeUpInsteadOfAWmTimer) {
  backend_->arm_deadline(Clock::now() - 1ms);
  int timer_messages = 0;
  EXPECT_TRUE(host_pump_until([&] { return delegate_.batches > 0; }, kTimeout,
                              [&](const MSG& msg) { timer_messages += msg.message == WM_TIMER; }));
  EXPECT_EQ(timer_messages, 0);
}

// A deadline in the future is a WM_TIMER for foreign pumps: when it fires the core is told
// (native_timer_fired) before the batch, so that it arms the next one.
TEST_F(Win32Contract, AFiredDeadlineTimerIsReportedBeforeTheBatch) {
  int fires_seen_by_batch = -1;
  delegate_.on_work = [&] { fires_seen_by_batch = delegate_.native_timer_fires; };
  backend_->arm_deadline(Clock::now() + 15ms);
  EXPECT_TRUE(host_pump_until([&] { return delegate_.batches > 0; }));
  EXPECT_EQ(fires_seen_by_batch, 1);
}

// Disarming means no batch at all.
TEST_F(Win32Contract, DisarmedDeadlineRunsNothing) {
  backend_->arm_deadline(Clock::now() + 15ms);
  backend_->arm_deadline(std::nullopt);
  host_pump_for(60ms);
  EXPECT_EQ(delegate_.batches, 0);
  EXPECT_EQ(delegate_.native_timer_fires, 0);
}

// Issue 10, item 10: a post that fails is reported (the mailbox retries on the next send)
// and does not leave the flag set, which would make every later wake() a silent no-op.
TEST_F(Win32Contract, AFailedPostIsReportedAndTriedAgainNextTime) {
  HWND window = our_window();
  ASSERT_NE(window, nullptr);
  DestroyWindow(window);  // behind the backend's back: PostMessageW fails from now on
  EXPECT_FALSE(backend_->wake());
  EXPECT_FALSE(backend_->wake()) << "the second wake() did not even try to post";
}

TEST_F(Win32Contract, WakeIsOnePostUntilTheMessageIsTaken) {
  EXPECT_TRUE(backend_->wake());
  EXPECT_TRUE(backend_->wake());
  MSG msg;
  int ours = 0;
  while (PeekMessageW(&msg, our_window(), 0, 0, PM_REMOVE)) ++ours;
  EXPECT_EQ(ours, 1);
}

// Issue 10, item 10: a WM_QUIT that ends no run() level (block_on polls) is held while each
// poll runs, so the poll can sleep, and goes back into the queue as the poll returns. The old
// pump pulled and re-posted it on every poll without ever sleeping: a busy loop.
TEST_F(Win32Contract, APendingQuitThatEndsNoRunDoesNotMakePollsSpin) {
  const auto deadline = Clock::now() + 50ms;
  delegate_.report = WorkReport{false, NextWork{false, deadline}};
  PostQuitMessage(7);
  int polls = 0;
  while (Clock::now() < deadline && polls < 1000) {
    backend_->poll_once(true);
    ++polls;
  }
  EXPECT_LE(polls, 5) << "polls spun on the pending WM_QUIT";
  EXPECT_GE(delegate_.quit_requests, 1);
  MSG msg;
  ASSERT_TRUE(PeekMessageW(&msg, nullptr, WM_QUIT, WM_QUIT, PM_REMOVE)) << "WM_QUIT swallowed";
  EXPECT_EQ(msg.wParam, 7u);
}

// One that ends a run() level goes back at once (the enclosing loop ends too), and the poll
// does not sleep.
TEST_F(Win32Contract, AQuitThatEndsARunIsPutBackAndThePollReturns) {
  delegate_.quit_ends_a_run = true;
  delegate_.report = WorkReport{false, NextWork{}};  // nothing will ever wake a sleep
  PostQuitMessage(3);
  HangRescuer rescuer;
  rescuer.arm();
  backend_->poll_once(true);
  rescuer.disarm();
  EXPECT_EQ(rescuer.rescues(), 0);
  EXPECT_EQ(delegate_.quit_requests, 1);
  MSG msg;
  ASSERT_TRUE(PeekMessageW(&msg, nullptr, WM_QUIT, WM_QUIT, PM_REMOVE));
  EXPECT_EQ(msg.wParam, 3u);
}

}  // namespace
}  // namespace runloop::test
