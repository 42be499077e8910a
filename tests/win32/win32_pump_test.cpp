// How the backend shares a message queue with the host: starvation, modal loops, timing.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "test_support.hpp"
#include "win32_test_util.hpp"

namespace runloop::test {
namespace {

// Keeps work coming the two ways that flood a queue: a callback that sends itself again, and
// a thread that sends in bursts. Without care our wake messages would always be in the queue
// and Windows would never synthesise the host's WM_TIMER.
class Flood {
 public:
  Flood() {
    RunLoop::sender().send(repost_);
    thread_ = std::thread([this, sender = RunLoop::sender()] {
      // A steady stream, not an unbounded backlog: each burst waits until the loop ran the
      // previous one.
      for (int sent = 0; !stopping_;) {
        for (int i = 0; i < 10; ++i, ++sent) sender.send([this] { ++remote_; });
        while (remote_ < sent && !stopping_) std::this_thread::yield();
      }
    });
  }
  ~Flood() {
    stopping_ = true;
    thread_.join();
  }
  int local() const { return local_; }
  int remote() const { return remote_; }

 private:
  std::atomic<bool> stopping_{false};
  int local_ = 0;
  std::atomic<int> remote_{0};
  std::function<void()> repost_ = [this] {
    ++local_;
    if (!stopping_) RunLoop::sender().send(repost_);
  };
  std::thread thread_;
};

TEST(Win32Pump, HostTimersAreNotStarvedInTheHostPump) {
  LoopFixture fixture;
  HostWindow host;
  ASSERT_NE(SetTimer(host.hwnd(), 1, 10, nullptr), 0u);
  Flood flood;
  EXPECT_TRUE(host_pump_until(
      [&] { return host.timer_messages() >= 10 && flood.local() >= 100 && flood.remote() >= 100; },
      5s))
      << "host timers " << host.timer_messages() << ", local " << flood.local() << ", remote "
      << flood.remote();
}

TEST(Win32Pump, HostTimersAreNotStarvedInRun) {
  LoopFixture fixture;
  HostWindow host;
  ASSERT_NE(SetTimer(host.hwnd(), 1, 10, nullptr), 0u);
  Flood flood;
  EXPECT_TRUE(run_until(
      fixture.loop(),
      [&] { return host.timer_messages() >= 10 && flood.local() >= 100 && flood.remote() >= 100; },
      5s))
      << "host timers " << host.timer_messages() << ", local " << flood.local() << ", remote "
      << flood.remote();
}

// A callback runs a modal loop (as MessageBox or a file dialog would): the rest of its batch
// and a timer it scheduled just before still run inside it, through the native timer armed
// before the batch.
void modal_loop_in_a_callback(const std::function<bool(const std::function<bool()>&)>& drive) {
  LoopFixture fixture;
  bool second_ran = false;
  bool timer_ran = false;
  bool modal_saw_everything = false;
  bool modal_done = false;
  RunLoop::sender().send([&] {
    auto timer = RunLoop::current().schedule(20ms, [&] { timer_ran = true; });
    modal_saw_everything = host_pump_until([&] { return second_ran && timer_ran; }, 5s);
    modal_done = true;
  });
  RunLoop::sender().send([&] { second_ran = true; });  // same batch as the modal loop
  EXPECT_TRUE(drive([&] { return modal_done; }));
  EXPECT_TRUE(modal_saw_everything) << "second ran: " << second_ran << ", timer ran: " << timer_ran;
}

TEST(Win32Pump, ModalLoopInACallbackDispatchedByTheHost) {
  modal_loop_in_a_callback([](const std::function<bool()>& done) { return host_pump_until(done); });
}

TEST(Win32Pump, ModalLoopInACallbackDuringRun) {
  modal_loop_in_a_callback(
      [](const std::function<bool()>& done) { return run_until(RunLoop::current(), done); });
}

// While the host has messages waiting, a batch run from its pump holds the wake flag (senders
// do not post). A callback that runs our own loop in that batch (run(), block_on) must still
// be woken by a send.
TEST(Win32Pump, RunInsideABatchThatYieldedToTheHostWakesForSends) {
  LoopFixture fixture;
  auto& loop = fixture.loop();
  HostWindow host;
  ASSERT_NE(SetTimer(host.hwnd(), 1, 10, nullptr), 0u);
  Sleep(40);  // the host's WM_TIMER is due: our wake message will overtake it
  bool stopped_by_send = false;
  RunLoop::Clock::duration run_took{};
  bool done = false;
  RunLoop::sender().send([&] {
    SetTimer(host.hwnd(), 1, 60'000, nullptr);  // nothing of the host's wakes the wait below
    auto failsafe = loop.schedule(5s, [&] { loop.stop(); });
    std::thread sender_thread([&loop, &stopped_by_send, sender = RunLoop::sender()] {
      std::this_thread::sleep_for(20ms);
      sender.send([&] {
        stopped_by_send = true;
        loop.stop();
      });
    });
    const auto start = RunLoop::Clock::now();
    loop.run();
    run_took = RunLoop::Clock::now() - start;
    sender_thread.join();
    done = true;
  });
  EXPECT_TRUE(host_pump_until([&] { return done; }));
  EXPECT_TRUE(stopped_by_send);
  EXPECT_LT(run_took, 2s) << "the send did not wake run(); the failsafe ended it";
}

// Our own pump sleeps on a waitable timer (~1 ms), not on WM_TIMER, whose 10 ms minimum
// would make each 1 ms step take 10 ms. Counted: the steps do not go through WM_TIMER.
TEST(Win32Pump, RunSleepsOnAWaitableTimerNotOnWmTimer) {
  LoopFixture fixture;
  auto& loop = fixture.loop();
  RetrievalCounter our_timer_messages(our_window(), WM_TIMER);
  ASSERT_TRUE(our_timer_messages.installed());
  constexpr int kSteps = 20;
  int steps = 0;
  Handle handle;
  std::function<void()> step = [&] {
    if (++steps == kSteps) {
      loop.stop();
    } else {
      handle = loop.schedule(1ms, step);
    }
  };
  handle = loop.schedule(1ms, step);
  loop.run();
  EXPECT_EQ(steps, kSteps);
  // A step can still meet a WM_TIMER when the machine stalls us for 10 ms; most do not.
  EXPECT_LT(our_timer_messages.taken(), kSteps / 2);
}

}  // namespace
}  // namespace runloop::test
