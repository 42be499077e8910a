// Hangs and losses found from outside (issue 10), through the public API on the Win32
// backend: block_on whose last event is a timer, timers scheduled inside a foreign modal
// loop, and a WM_QUIT pending while block_on runs.
#include <gtest/gtest.h>

#include <functional>

#include "test_support.hpp"
#include "win32_test_util.hpp"

namespace runloop::test {
namespace {

Task<void> sleep_on(RunLoop loop, std::chrono::microseconds delay) {
  co_await loop.delay(delay);
}

// Item 1: in the old poll_once a timer that came due between reading readiness and running
// the batch finished the task, and the poll then slept with nothing left to wake it. Many
// short block_ons with delays around the cost of one poll hit that window often.
TEST(Win32Regression, BlockOnWhoseLastEventIsATimerAlwaysReturns) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  HangRescuer rescuer;
  constexpr std::chrono::microseconds kDelays[] = {0us, 10us, 30us, 60us, 100us, 200us, 500us};
  int hung = 0;
  for (int i = 0; i < 700; ++i) {
    const auto delay = kDelays[i % std::size(kDelays)];
    rescuer.arm();
    loop.block_on(sleep_on(loop, delay));
    rescuer.disarm();
    if (rescuer.rescues() > hung) {
      hung = rescuer.rescues();
      ADD_FAILURE() << "block_on #" << i << " (delay " << delay.count() << " us) hung";
      if (hung >= 3) break;
    }
  }
}

// Item 8: a callback runs a modal loop (a nested GetMessage/DispatchMessage loop, as
// MessageBox would); inside it, host code schedules a timer after our own WM_TIMER batch has
// come and gone. The old core reported deadlines only outside a batch, so nothing was armed
// and the timer waited for the modal loop to end.
void timer_scheduled_inside_a_modal_loop(const std::function<void(const bool& done)>& drive) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  HostWindow host;
  bool fired = false;
  bool fired_inside = false;
  bool done = false;
  host.on_message = [&](UINT message, WPARAM) {
    if (message != WM_TIMER) return;
    KillTimer(host.hwnd(), 1);
    loop.schedule(5ms, [&] { fired = true; }).detach();  // host code, in the modal loop
  };
  RunLoop::sender().send([&] {
    ASSERT_NE(SetTimer(host.hwnd(), 1, 50, nullptr), 0u);
    fired_inside = host_pump_until([&] { return fired; }, 5s);
    done = true;
  });
  drive(done);
  EXPECT_TRUE(fired_inside) << "the timer did not fire while the modal loop ran";
}

void drive_with_host_pump(const bool& done) {
  EXPECT_TRUE(host_pump_until([&] { return done; }));
}

// run(), stopped by the first host message after `done`: no timer of ours keeps it awake.
void drive_with_run(const bool& done) {
  auto loop = RunLoop::current();
  HostWindow checker;
  checker.on_message = [&](UINT, WPARAM) {
    if (done) loop.stop();
  };
  ASSERT_NE(SetTimer(checker.hwnd(), 1, 10, nullptr), 0u);
  loop.run();
  EXPECT_TRUE(done);
}

TEST(Win32Regression, TimerScheduledInsideAModalLoopFiresThereUnderTheHostPump) {
  timer_scheduled_inside_a_modal_loop(drive_with_host_pump);
}

TEST(Win32Regression, TimerScheduledInsideAModalLoopFiresThereUnderRun) {
  timer_scheduled_inside_a_modal_loop(drive_with_run);
}

// Item 8, second half: a timer that is due at once, scheduled inside a modal loop, comes
// through a posted message, not through WM_TIMER's 10 ms minimum.
void zero_delay_inside_a_modal_loop(const std::function<void(const bool& done)>& drive) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  HWND window = our_window();
  bool ran = false;
  bool done = false;
  int our_timer_messages = -1;
  RunLoop::sender().send([&] {
    our_timer_messages = 0;
    auto handle = loop.schedule(0ms, [&] { ran = true; });
    EXPECT_TRUE(host_pump_until([&] { return ran; }, 5s,
                                [&](const MSG& msg) {
                                  if (msg.hwnd == window && msg.message == WM_TIMER)
                                    ++our_timer_messages;
                                }));
    done = true;
  });
  drive(done);
  EXPECT_EQ(our_timer_messages, 0) << "the zero-delay timer waited for a WM_TIMER";
}

TEST(Win32Regression, ZeroDelayTimerInsideAModalLoopNeedsNoWmTimerUnderTheHostPump) {
  zero_delay_inside_a_modal_loop(drive_with_host_pump);
}

TEST(Win32Regression, ZeroDelayTimerInsideAModalLoopNeedsNoWmTimerUnderRun) {
  zero_delay_inside_a_modal_loop(drive_with_run);
}

// The WM_QUIT posted with `exit_code` was taken out of the queue only a few times (not put
// back on every poll, which spins) and is still there for the host, exit code intact.
void expect_quit_left_for_the_host(const RetrievalCounter& counter, WPARAM exit_code) {
  EXPECT_LE(counter.taken(), 10) << "block_on spun on the pending WM_QUIT";
  MSG msg;
  ASSERT_TRUE(PeekMessageW(&msg, nullptr, WM_QUIT, WM_QUIT, PM_REMOVE)) << "WM_QUIT swallowed";
  EXPECT_EQ(msg.wParam, exit_code);
}

// Item 10: a block_on while the application was asked to quit. The old pump pulled the
// WM_QUIT and put it back on every poll without sleeping. Now it is held while each poll
// runs: the polls sleep, and the WM_QUIT is still there for the host afterwards.
TEST(Win32Regression, PendingQuitDoesNotMakeBlockOnSpin) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  RetrievalCounter counter(nullptr, WM_QUIT);
  ASSERT_TRUE(counter.installed());
  PostQuitMessage(5);
  loop.block_on(sleep_on(loop, 60ms));
  expect_quit_left_for_the_host(counter, 5);
}

// The same inside run(): the WM_QUIT ends that run() level (after the block_on in its batch
// has finished) and is left for the host.
TEST(Win32Regression, QuitDuringBlockOnInsideRunEndsTheRunAfterwards) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  RetrievalCounter counter(nullptr, WM_QUIT);
  ASSERT_TRUE(counter.installed());
  bool block_on_done = false;
  RunLoop::sender().send([&] {
    PostQuitMessage(9);
    loop.block_on(sleep_on(loop, 60ms));
    block_on_done = true;
  });
  loop.run();  // ends on the WM_QUIT
  EXPECT_TRUE(block_on_done);
  expect_quit_left_for_the_host(counter, 9);
}

// Found under load: a batch for the host's pump found the host's WM_TIMER waiting, so it kept
// the wake flag and armed the yield timer; a callback of that batch left work behind it and
// the core asked for a wake-up, which the flag absorbed; the batch then ran that work too and
// released the yield timer. The core still believed a wake-up was coming: work queued on the
// loop thread outside any batch afterwards (a spawn, an abort from host code) never ran.
TEST(Win32Regression, WorkQueuedAfterABatchThatYieldedToTheHostStillRuns) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  HostWindow host;
  ASSERT_NE(SetTimer(host.hwnd(), 1, USER_TIMER_MINIMUM, nullptr), 0u);
  int ran = 0;
  auto count = [&]() -> Task<void> {
    ++ran;
    co_return;
  };
  auto first = loop.spawn(count);
  auto second = loop.spawn(count);
  // The host's timer is due before our wake message is dispatched.
  ASSERT_TRUE(wait_until([] { return (HIWORD(GetQueueStatus(QS_TIMER)) & QS_TIMER) != 0; }));
  ASSERT_TRUE(host_pump_until([&] { return ran == 2; }));
  auto third = loop.spawn(count);
  EXPECT_TRUE(host_pump_until([&] { return ran == 3; }));
}

}  // namespace
}  // namespace runloop::test
