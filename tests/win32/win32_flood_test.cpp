// Issue 9 on Win32: a flood of our work never starves the host. The host's posted messages
// get a turn between any two of our batches, and its WM_TIMER (which Windows synthesises only
// while no message is posted) keeps ticking, whoever pumps: the host's loop or our run().
// Everything is counted, nothing is timed.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>

#include "core/batch_budget.hpp"
#include "test_support.hpp"
#include "win32_test_util.hpp"

namespace runloop::test {
namespace {

constexpr UINT kHostMessage = WM_APP + 42;
// Our callbacks between two turns of the host: one batch (its sends, and its timers' share).
constexpr int kMaxGap = 2 * static_cast<int>(detail::kMaxBatchCallbacks);

enum class Driver { kHostPump, kRun };

// Drives until `done()`: the host's own pump, or run(), which the host code below stops from
// one of its own messages (so that no timer of ours keeps the loop awake).
class Drive {
 public:
  explicit Drive(Driver driver) : driver_(driver) {}
  // Host code calls this after each of its messages.
  void check(const std::function<bool()>& done) const {
    if (driver_ == Driver::kRun && done()) RunLoop::current().stop();
  }
  bool until(const std::function<bool()>& done) const {
    if (driver_ == Driver::kHostPump) return host_pump_until(done, kTimeout);
    auto loop = RunLoop::current();
    auto failsafe = loop.schedule(kTimeout, [loop] { loop.stop(); });
    loop.run();
    return done();
  }

 private:
  Driver driver_;
};

// A callback that sends itself again, forever (until the test ends).
class SelfReposting {
 public:
  SelfReposting() { RunLoop::sender().send(repost_); }
  ~SelfReposting() { stopping_ = true; }
  SelfReposting(const SelfReposting&) = delete;
  SelfReposting& operator=(const SelfReposting&) = delete;
  int runs() const { return runs_; }

 private:
  bool stopping_ = false;
  int runs_ = 0;
  std::function<void()> repost_ = [this] {
    ++runs_;
    if (!stopping_) RunLoop::sender().send(repost_);
  };
};

// The host's own posted message, re-posted by its handler: it counts its turns and the
// largest number of our callbacks that ran between two of them.
struct HostPostedMessages {
  HostWindow window;
  int turns = 0;
  int max_gap = 0;
  int ours_at_last_turn = -1;
  bool stopping = false;

  void start(const std::function<int()>& ours, const std::function<void()>& after_turn) {
    window.on_message = [this, ours, after_turn](UINT message, WPARAM) {
      if (message != kHostMessage) return;
      const int now = ours();
      if (ours_at_last_turn >= 0) max_gap = std::max(max_gap, now - ours_at_last_turn);
      ours_at_last_turn = now;
      ++turns;
      if (!stopping) PostMessageW(window.hwnd(), kHostMessage, 0, 0);
      after_turn();
    };
    PostMessageW(window.hwnd(), kHostMessage, 0, 0);
  }
};

class Win32Flood : public ::testing::TestWithParam<Driver> {};

TEST_P(Win32Flood, HostPostedMessagesGetATurnBetweenBatchesOfASelfRepostingCallback) {
  LoopFixture fixture;
  const Drive drive(GetParam());
  SelfReposting flood;
  HostPostedMessages host;
  const auto done = [&] { return host.turns >= 500; };
  host.start([&] { return flood.runs(); }, [&] { drive.check(done); });
  EXPECT_TRUE(drive.until(done)) << "host turns " << host.turns << ", ours " << flood.runs();
  host.stopping = true;
  EXPECT_GE(flood.runs(), 500);
  EXPECT_LE(host.max_gap, kMaxGap) << "our callbacks between two host messages";
}

TEST_P(Win32Flood, HostTimersTickUnderASelfRepostingCallback) {
  LoopFixture fixture;
  const Drive drive(GetParam());
  SelfReposting flood;
  HostWindow host;
  const auto done = [&] { return host.timer_messages() >= 20 && flood.runs() >= 1000; };
  host.on_message = [&](UINT, WPARAM) { drive.check(done); };
  ASSERT_NE(SetTimer(host.hwnd(), 1, USER_TIMER_MINIMUM, nullptr), 0u);
  EXPECT_TRUE(drive.until(done)) << "host ticks " << host.timer_messages() << ", ours "
                                 << flood.runs();
}

// 100 000 sends from a worker, as fast as it can: the host's posted message still gets a turn
// between any two of our batches while they run.
TEST_P(Win32Flood, HostPostedMessagesGetATurnDuringABurstOfSends) {
  LoopFixture fixture;
  const Drive drive(GetParam());
  constexpr int kSends = 100'000;
  int ran = 0;
  HostPostedMessages host;
  const auto done = [&] { return ran == kSends; };
  host.start([&] { return ran; }, [&] { drive.check(done); });
  std::thread worker([sender = RunLoop::sender(), &ran] {
    for (int i = 0; i < kSends; ++i) sender.send([&ran] { ++ran; });
  });
  const bool finished = drive.until(done);
  worker.join();
  host.stopping = true;
  EXPECT_TRUE(finished) << ran << " of " << kSends << " ran";
  EXPECT_GE(host.turns, kSends / kMaxGap) << "host turns during the burst";
  EXPECT_LE(host.max_gap, kMaxGap) << "our callbacks between two host messages";
}

// The same burst, each callable doing a few microseconds of work: the host's 10 ms WM_TIMER
// keeps ticking while it is worked off (a loop that ran the burst in one go would let it tick
// not at all).
TEST_P(Win32Flood, HostTimersTickDuringABurstOfSends) {
  LoopFixture fixture;
  const Drive drive(GetParam());
  constexpr int kSends = 100'000;
  int ran = 0;
  int ticks_during_burst = 0;
  HostWindow host;
  const auto done = [&] { return ran == kSends; };
  host.on_message = [&](UINT, WPARAM) {
    if (ran > 0 && ran < kSends) ++ticks_during_burst;
    drive.check(done);
  };
  ASSERT_NE(SetTimer(host.hwnd(), 1, USER_TIMER_MINIMUM, nullptr), 0u);
  std::thread worker([sender = RunLoop::sender(), &ran] {
    for (int i = 0; i < kSends; ++i) {
      sender.send([&ran] {
        const auto until = std::chrono::steady_clock::now() + 5us;
        while (std::chrono::steady_clock::now() < until) {
        }
        ++ran;
      });
    }
  });
  const bool finished = drive.until(done);
  worker.join();
  EXPECT_TRUE(finished) << ran << " of " << kSends << " ran";
  // 100 000 x 5 us is half a second of work: a fair loop lets ~50 ticks through.
  EXPECT_GE(ticks_during_burst, 10);
}

INSTANTIATE_TEST_SUITE_P(Drivers, Win32Flood, ::testing::Values(Driver::kHostPump, Driver::kRun),
                         [](const ::testing::TestParamInfo<Driver>& param_info) {
                           return param_info.param == Driver::kHostPump ? "HostPump" : "Run";
                         });

}  // namespace
}  // namespace runloop::test
