// deinit() with work pending: nothing runs afterwards, everything is destroyed, senders close.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace runloop::test {
namespace {

// Records where and whether it was destroyed.
struct Probe {
  struct Log {
    int destroyed = 0;
    bool destroyed_on_loop_thread = true;
  };
  explicit Probe(Log* target) : log(target) {}
  Probe(Probe&& other) noexcept : log(std::exchange(other.log, nullptr)) {}
  ~Probe() {
    if (!log) return;
    ++log->destroyed;
    log->destroyed_on_loop_thread &= RunLoop::is_run_loop_thread();
  }
  Log* log;
};

TEST(Shutdown, PendingWorkIsDestroyedNotRun) {
  ASSERT_TRUE(init_loop());
  auto loop = RunLoop::current();
  Probe::Log timer_log, local_log, remote_log;
  std::atomic<int> ran{0};
  loop.schedule(1h, [&ran, p = Probe(&timer_log)] { ++ran; }).detach();
  loop.schedule(0ms, [&ran, p = Probe(&timer_log)] { ++ran; }).detach();
  RunLoop::sender().send([&ran, p = Probe(&local_log)] { ++ran; });
  std::thread([&, sender = RunLoop::sender()] {
    for (int i = 0; i < 100; ++i) sender.send([&ran, p = Probe(&remote_log)] { ++ran; });
  }).join();
  RunLoop::deinit();
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(timer_log.destroyed, 2);
  EXPECT_EQ(local_log.destroyed, 1);
  EXPECT_EQ(remote_log.destroyed, 100);
  EXPECT_TRUE(timer_log.destroyed_on_loop_thread);
  EXPECT_TRUE(remote_log.destroyed_on_loop_thread);
}

TEST(Shutdown, SendersCloseAndDestroyTheCallableOnTheCallingThread) {
  ASSERT_TRUE(init_loop());
  auto sender = RunLoop::sender();
  RunLoop::deinit();
  Probe::Log log;
  EXPECT_FALSE(sender.send([p = Probe(&log)] {}));
  EXPECT_EQ(log.destroyed, 1);
  std::thread::id destroyed_on;
  std::thread([&] {
    struct Where {
      std::thread::id* out;
      Where(std::thread::id* o) : out(o) {}
      Where(Where&& w) noexcept : out(std::exchange(w.out, nullptr)) {}
      ~Where() {
        if (out) *out = std::this_thread::get_id();
      }
    };
    EXPECT_FALSE(sender.send([w = Where(&destroyed_on)] {}));
    EXPECT_TRUE(destroyed_on == std::this_thread::get_id());
  }).join();
  // A new loop does not revive old senders.
  ASSERT_TRUE(init_loop());
  EXPECT_FALSE(sender.send([] {}));
  EXPECT_TRUE(RunLoop::sender().send([] {}));
  RunLoop::deinit();
}

TEST(Shutdown, DestructorsMayUseTheApiDuringShutdown) {
  ASSERT_TRUE(init_loop());
  auto loop = RunLoop::current();
  auto sender = RunLoop::sender();
  struct Reentrant {
    Sender sender;
    RunLoop loop;
    bool* checked;
    Reentrant(Sender s, RunLoop l, bool* c) : sender(std::move(s)), loop(l), checked(c) {}
    Reentrant(Reentrant&& o) noexcept
        : sender(std::move(o.sender)), loop(o.loop), checked(std::exchange(o.checked, nullptr)) {}
    ~Reentrant() {
      if (!checked) return;
      EXPECT_TRUE(RunLoop::is_run_loop_thread());
      EXPECT_FALSE(sender.send([] {}));         // closed
      EXPECT_FALSE(loop.schedule(0ms, [] {}));  // refused, nothing left behind
      EXPECT_FALSE(init_loop().has_value());    // cannot revive a dying loop
      *checked = true;
    }
  };
  bool checked = false;
  loop.schedule(1h, [r = Reentrant(sender, loop, &checked)] {}).detach();
  RunLoop::deinit();
  EXPECT_TRUE(checked);
  EXPECT_FALSE(RunLoop::is_run_loop_thread());
}

TEST(Shutdown, DeinitInsideACallbackCompletesWhenControlReturns) {
  ASSERT_TRUE(init_loop());
  auto loop = RunLoop::current();
  bool after_ran = false;
  bool deinit_ran = false;
  auto sender = RunLoop::sender();
  sender.send([&] {
    RunLoop::deinit();
    deinit_ran = true;
    EXPECT_FALSE(RunLoop::is_run_loop_thread());
  });
  sender.send([&] { after_ran = true; });  // same batch: must not run after deinit
  loop.run();                              // returns: the loop it was running is gone
  EXPECT_TRUE(deinit_ran);
  EXPECT_FALSE(after_ran);
  EXPECT_FALSE(sender.send([] {}));
}

TEST(Shutdown, DeinitInsideANestedRunEndsEveryLevel) {
  ASSERT_TRUE(init_loop());
  auto loop = RunLoop::current();
  int returned = 0;
  loop.schedule(0ms,
                [&] {
                  loop.schedule(1ms, [] { RunLoop::deinit(); }).detach();
                  loop.run();
                  ++returned;
                })
      .detach();
  loop.run();
  ++returned;
  EXPECT_EQ(returned, 2);
  EXPECT_FALSE(RunLoop::try_current());
}

TEST(Shutdown, SendsRacingWithDeinitRunBeforeOrAreDestroyed) {
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(init_loop());
    auto loop = RunLoop::current();
    std::atomic<int> ran{0}, refused{0}, created{0}, destroyed{0};
    std::atomic<bool> go{false};
    struct Counted {
      std::atomic<int>* destroyed;
      explicit Counted(std::atomic<int>* d) : destroyed(d) {}
      Counted(Counted&& o) noexcept : destroyed(std::exchange(o.destroyed, nullptr)) {}
      ~Counted() {
        if (destroyed) ++*destroyed;
      }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, sender = RunLoop::sender()] {
        while (!go) std::this_thread::yield();
        for (int i = 0; i < 2000; ++i) {
          ++created;
          if (!sender.send([&, c = Counted(&destroyed)] { ++ran; })) ++refused;
        }
      });
    }
    go = true;
    auto stopper = loop.schedule(1ms, [&] { loop.stop(); });
    loop.run();
    RunLoop::deinit();
    const int ran_at_deinit = ran.load();
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(ran.load(), ran_at_deinit) << "a callback ran after deinit";
    EXPECT_EQ(destroyed.load(), created.load()) << "a callback leaked";
    EXPECT_EQ(ran.load() + refused.load() <= created.load(), true);
  }
}

}  // namespace
}  // namespace runloop::test
