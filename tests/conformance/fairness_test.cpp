// Being a good guest: one pass of ours is a bounded batch, and the host's own sources run
// between our batches however much work we have (SPEC, "Being a good guest in the host's
// loop"). Counted in host iterations, never timed.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "test_support.hpp"

namespace runloop::test {
namespace {

constexpr int kIterations = 2000;

TEST(Fairness, ACallbackThatRepostsItselfLetsTheHostsSourcesRun) {
  LoopFixture fixture;
  HostActivity host;
  const Sender sender = RunLoop::sender();
  int ours = 0;
  std::function<void()> step = [&] {
    ++ours;
    sender.send(step);
  };
  sender.send(step);
  for (int i = 0; i < kIterations; ++i) host_iterate(true);
  // Both keep a large share of the iterations; before the fix the host's got none.
  EXPECT_GE(host.runs(), kIterations / 8) << "the host's own sources were starved";
  EXPECT_GE(ours, kIterations / 8) << "our work was starved";
}

TEST(Fairness, AScheduledZeroDelayChainLetsTheHostsSourcesRun) {
  LoopFixture fixture;
  HostActivity host;
  int ours = 0;
  Handle next;
  std::function<void()> step = [&] {
    ++ours;
    next = fixture.loop().schedule(0ms, step);
  };
  next = fixture.loop().schedule(0ms, step);
  for (int i = 0; i < kIterations; ++i) host_iterate(true);
  EXPECT_GE(host.runs(), kIterations / 8);
  EXPECT_GE(ours, kIterations / 8);
}

TEST(Fairness, ABurstOfSendsRunsInBatchesWithTheHostInBetween) {
  LoopFixture fixture;
  constexpr int kSends = 100'000;
  std::atomic<int> ran{0};
  // Everything is queued before the host starts iterating, so the count does not depend on
  // how fast the producer was.
  std::thread producer([sender = RunLoop::sender(), &ran] {
    for (int i = 0; i < kSends; ++i) {
      sender.send([&ran] { ran.fetch_add(1, std::memory_order_relaxed); });
    }
  });
  producer.join();
  HostActivity host;
  ASSERT_TRUE(drive_until([&] { return ran.load() == kSends; }));
  // One batch holds a few hundred callbacks at most: the host ran between many of them.
  // Before the fix all 100 000 ran in one pass and the host's sources ran once or twice.
  EXPECT_GE(host.runs(), 50);
}

TEST(Fairness, DueTimersRunDespiteAFloodOfSends) {
  LoopFixture fixture;
  const Sender sender = RunLoop::sender();
  bool fired = false;
  std::function<void()> flood = [&] {
    if (!fired) sender.send(flood);
  };
  sender.send(flood);
  sender.send(flood);
  auto timer = fixture.loop().schedule(1ms, [&] { fired = true; });
  EXPECT_TRUE(run_until(fixture.loop(), [&] { return fired; }));
}

}  // namespace
}  // namespace runloop::test
