// Sender: cross-thread posting, ordering, send_and_wait.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace runloop::test {
namespace {

TEST(Sender, SendRunsOnTheLoop) {  // the seed's test_sender
  LoopFixture fixture;
  auto sender = RunLoop::sender();
  bool ran = false;
  EXPECT_TRUE(sender.send([&] {
    ran = true;
    fixture.loop().stop();
  }));
  fixture.loop().run();
  EXPECT_TRUE(ran);
}

TEST(Sender, SendOnTheLoopThreadNeverRunsInline) {
  LoopFixture fixture;
  bool ran = false;
  EXPECT_TRUE(RunLoop::sender().send([&] { ran = true; }));
  EXPECT_FALSE(ran);
  EXPECT_TRUE(run_until(fixture.loop(), [&] { return ran; }));
}

TEST(Sender, SendInBackgroundThread) {  // the seed's test_sender_in_background_thread
  LoopFixture fixture;
  std::atomic<bool> ran{false};
  std::thread::id ran_on;
  std::thread([&, sender = RunLoop::sender()] {
    EXPECT_FALSE(sender.is_same_thread());
    sender.send([&] {
      ran_on = std::this_thread::get_id();
      ran = true;
    });
  }).join();
  EXPECT_TRUE(run_until(fixture.loop(), [&] { return ran.load(); }));
  EXPECT_TRUE(ran_on == std::this_thread::get_id());
}

TEST(Sender, FifoPerSendingThread) {
  LoopFixture fixture;
  constexpr int kCount = 10'000;
  std::vector<int> order;
  std::thread([sender = RunLoop::sender(), &order] {
    for (int i = 0; i < kCount; ++i) sender.send([&order, i] { order.push_back(i); });
  }).join();
  for (int i = kCount; i < 2 * kCount; ++i) {
    RunLoop::sender().send([&order, i] { order.push_back(i); });
  }
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return order.size() == 2 * kCount; }));
  for (int i = 0; i < 2 * kCount; ++i) ASSERT_EQ(order[i], i);
}

TEST(Sender, EightThreadsEveryCallbackExactlyOnce) {
  LoopFixture fixture;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20'000;
  std::vector<std::vector<int>> seen(kThreads);
  std::atomic<int> total{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t, sender = RunLoop::sender()] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(sender.send([&, t, i] {
          seen[t].push_back(i);
          total.fetch_add(1, std::memory_order_relaxed);
        }));
      }
    });
  }
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return total.load() == kThreads * kPerThread; }));
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) ASSERT_EQ(seen[t][i], i);  // once each, in order
  }
}

TEST(Sender, SendAndWaitReturnsTheResult) {
  LoopFixture fixture;
  std::atomic<int> result{0};
  std::thread worker([&, sender = RunLoop::sender()] {
    result = sender.send_and_wait([] {
      EXPECT_TRUE(RunLoop::is_run_loop_thread());
      return 42;
    });
  });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return result.load() == 42; }));
  worker.join();
}

TEST(Sender, SendAndWaitRethrows) {
  LoopFixture fixture;
  std::atomic<bool> caught{false};
  std::thread worker([&, sender = RunLoop::sender()] {
    try {
      sender.send_and_wait([]() -> int { throw std::runtime_error("boom"); });
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "boom";
    }
  });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return caught.load(); }));
  worker.join();
}

TEST(Sender, SendAndWaitOnTheLoopThreadRunsInline) {
  LoopFixture fixture;
  auto sender = RunLoop::sender();
  EXPECT_TRUE(sender.is_same_thread());
  EXPECT_EQ(sender.send_and_wait([] { return std::string("inline"); }), "inline");
  sender.send_and_wait([] {});
}

TEST(Sender, SendAndWaitThrowsWhenTheLoopGoesAwayMeanwhile) {
  ASSERT_TRUE(init_loop());
  auto sender = RunLoop::sender();
  std::atomic<bool> queued{false};
  std::atomic<int> outcome{0};
  std::thread worker([&] {
    try {
      queued = true;
      sender.send_and_wait([] { return 1; });
      outcome = 1;
    } catch (const RunLoopError& e) {
      outcome = e.error() == Error::NotInitialized ? 2 : 3;
    }
  });
  ASSERT_TRUE(wait_until([&] { return queued.load(); }));
  // Whether the call was queued before deinit or refused after it, it never hangs and
  // never runs after deinit.
  RunLoop::deinit();
  worker.join();
  EXPECT_EQ(outcome.load(), 2);
  EXPECT_THROW(sender.send_and_wait([] { return 1; }), RunLoopError);
}

TEST(Sender, DefaultConstructedSenderIsClosed) {
  Sender sender;
  EXPECT_FALSE(sender.send([] {}));
  EXPECT_FALSE(sender.is_same_thread());
  EXPECT_THROW(sender.send_and_wait([] {}), RunLoopError);
}

TEST(Sender, LargeCallablesAreCarriedToo) {
  LoopFixture fixture;
  std::array<char, 256> payload{};
  payload.fill('x');
  std::string received;
  std::thread([&, sender = RunLoop::sender()] {
    sender.send([&received, payload] { received.assign(payload.begin(), payload.end()); });
  }).join();
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return !received.empty(); }));
  EXPECT_EQ(received, std::string(256, 'x'));
}

}  // namespace
}  // namespace runloop::test
