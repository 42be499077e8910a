// RealtimeSender: values from a real-time producer reach the loop thread in order, by polling.
// The real-time guarantees themselves (no allocation, lock or system call in try_send) are
// proven in tests/realtime/ (Linux only).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

#include "runloop/testing.hpp"
#include "test_support.hpp"

namespace runloop::test {
namespace {

static_assert(!std::is_copy_constructible_v<RealtimeSender<int>>);
static_assert(!std::is_copy_assignable_v<RealtimeSender<int>>);
static_assert(std::is_nothrow_move_constructible_v<RealtimeSender<int>>);
static_assert(std::is_nothrow_move_assignable_v<RealtimeSender<int>>);
static_assert(noexcept(std::declval<RealtimeSender<int>&>().try_send(1)));

constexpr auto kFast = 1ms;  // a short poll interval keeps these tests quick

// What on_value saw: the values, and whether each arrived on the loop thread.
struct Received {
  std::vector<int> values;
  bool all_on_loop_thread = true;
  auto sink() {
    return [this](int value) {
      all_on_loop_thread = all_on_loop_thread && RunLoop::is_run_loop_thread();
      values.push_back(value);
    };
  }
};

std::vector<int> iota(int from, int to) {
  std::vector<int> values;
  for (int i = from; i < to; ++i) values.push_back(i);
  return values;
}

// Counts live instances, so that a test can see values destroyed undelivered.
struct Tracked {
  explicit Tracked(std::shared_ptr<int> live, int v) : counter(std::move(live)), value(v) {
    ++*counter;
  }
  Tracked(Tracked&& other) noexcept : counter(other.counter), value(other.value) { ++*counter; }
  Tracked& operator=(Tracked&&) = delete;
  ~Tracked() { --*counter; }
  std::shared_ptr<int> counter;
  int value;
};

TEST(Realtime, ValuesArriveInOrderOnTheLoopThread) {
  LoopFixture fixture;
  Received received;
  RealtimeSender<int> sender(1000, received.sink(), kFast);
  std::thread producer([&sender] {
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(sender.try_send(i));
  });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return received.values.size() == 1000; }));
  producer.join();
  EXPECT_EQ(received.values, iota(0, 1000));
  EXPECT_TRUE(received.all_on_loop_thread);
  EXPECT_EQ(sender.dropped(), 0u);
}

TEST(Realtime, NothingIsDeliveredInline) {
  LoopFixture fixture;
  Received received;
  RealtimeSender<int> sender(4, received.sink(), kFast);
  ASSERT_TRUE(sender.try_send(7));  // the loop thread may be the producer too
  EXPECT_TRUE(received.values.empty());
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return !received.values.empty(); }));
  EXPECT_EQ(received.values, std::vector<int>{7});
}

TEST(Realtime, CapacityIsExactAndAFullRingDropsAndCounts) {
  LoopFixture fixture;
  Received received;
  RealtimeSender<int> sender(3, received.sink(), kFast);
  EXPECT_EQ(sender.capacity(), 3u);
  // The loop does not run meanwhile, so nothing is taken out.
  EXPECT_TRUE(sender.try_send(1));
  EXPECT_TRUE(sender.try_send(2));
  EXPECT_TRUE(sender.try_send(3));
  EXPECT_FALSE(sender.try_send(4));
  EXPECT_FALSE(sender.try_send(5));
  EXPECT_EQ(sender.dropped(), 2u);
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return received.values.size() == 3; }));
  EXPECT_EQ(received.values, (std::vector<int>{1, 2, 3}));
  // Room again, and the slots wrap around the end of the ring (capacity 3, not a power of 2).
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(sender.try_send(10 + round * 3 + i));
    EXPECT_FALSE(sender.try_send(-1));
    const std::size_t want = 3 + 3 * static_cast<std::size_t>(round + 1);
    ASSERT_TRUE(run_until(fixture.loop(), [&] { return received.values.size() == want; }));
  }
  std::vector<int> expected = {1, 2, 3};
  for (int v : iota(10, 25)) expected.push_back(v);
  EXPECT_EQ(received.values, expected);
  EXPECT_EQ(sender.dropped(), 7u);
}

TEST(Realtime, CapacityOfOne) {
  LoopFixture fixture;
  Received received;
  RealtimeSender<int> sender(1, received.sink(), kFast);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(sender.try_send(i));
    EXPECT_FALSE(sender.try_send(100));
    ASSERT_TRUE(run_until(fixture.loop(), [&] { return received.values.size() == i + 1u; }));
  }
  EXPECT_EQ(received.values, iota(0, 4));
  EXPECT_EQ(sender.dropped(), 4u);
}

TEST(Realtime, PollIntervalDefaultsTo10msAndIsKept) {
  LoopFixture fixture;
  RealtimeSender<float> by_default(8, [](float) {});
  EXPECT_EQ(by_default.poll_interval(), 10ms);
  RealtimeSender<float> chosen(
      8, [](float) {}, 3ms);
  EXPECT_EQ(chosen.poll_interval(), 3ms);
}

// The plugin pattern: the host iterates its loop (blocking when it has nothing to do) and
// never calls run(). The poll's own timer must wake it: nothing else is pending.
TEST(Realtime, DeliveredWithinTheIntervalWithNothingElsePending) {
  LoopFixture fixture;
  std::atomic<int> received{0};
  RealtimeSender<int> sender(16, [&](int v) { received += v; });
  std::thread producer([&sender] { ASSERT_TRUE(sender.try_send(5)); });
  producer.join();
  const auto give_up = std::chrono::steady_clock::now() + kTimeout;
  while (received == 0 && std::chrono::steady_clock::now() < give_up) host_iterate(true);
  EXPECT_EQ(received, 5);
}

// On the loop's clock (MockTime), exactly: no poll before the first interval boundary, a
// value sent now arrives within one interval, and the polls repeat every interval.
TEST(Realtime, UnderMockTimeAValueArrivesWithinOneInterval) {
  LoopFixture fixture;
  testing::MockTime time;
  std::vector<RunLoop::Clock::time_point> arrivals;
  RealtimeSender<int> sender(
      8, [&](int) { arrivals.push_back(RunLoop::now()); }, 10ms);
  const auto sent_at = RunLoop::now();
  ASSERT_TRUE(sender.try_send(1));
  time.run_until_idle();
  EXPECT_TRUE(arrivals.empty());  // never inline, and no poll is due yet
  time.advance(10ms);
  ASSERT_EQ(arrivals.size(), 1u);
  EXPECT_GT(arrivals[0], sent_at);
  EXPECT_LE(arrivals[0] - sent_at, 10ms);
  ASSERT_TRUE(sender.try_send(2));
  time.advance(10ms);
  ASSERT_EQ(arrivals.size(), 2u);
  EXPECT_EQ(arrivals[1] - arrivals[0], 10ms);
}

// Polls are aligned to multiples of the interval, so senders made at different moments
// with the same interval poll at the same instants: one native wake-up serves them all.
TEST(Realtime, UnderMockTimeSendersWithTheSameIntervalPollTogether) {
  LoopFixture fixture;
  testing::MockTime time;
  std::vector<RunLoop::Clock::time_point> first, second;
  RealtimeSender<int> a(
      8, [&](int) { first.push_back(RunLoop::now()); }, 10ms);
  time.advance(3ms);
  RealtimeSender<int> b(
      8, [&](int) { second.push_back(RunLoop::now()); }, 10ms);
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(a.try_send(round));
    ASSERT_TRUE(b.try_send(round));
    time.advance(10ms);
  }
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first, second);
}

TEST(Realtime, DefaultIntervalDeliversToo) {
  LoopFixture fixture;
  Received received;
  RealtimeSender<int> sender(16, received.sink());
  std::thread([&sender] {
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(sender.try_send(i));
  }).join();
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return received.values.size() == 10; }));
  EXPECT_EQ(received.values, iota(0, 10));
}

TEST(Realtime, NothingIsDeliveredAfterDestructionAndPendingValuesAreDestroyed) {
  LoopFixture fixture;
  auto live = std::make_shared<int>(0);
  int delivered = 0;
  std::optional<RealtimeSender<Tracked>> sender;
  sender.emplace(
      8, [&](Tracked) { ++delivered; }, kFast);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(sender->try_send(Tracked(live, i)));
  EXPECT_EQ(*live, 5);  // in the ring
  sender.reset();
  EXPECT_EQ(*live, 0);  // destroyed with it, undelivered
  EXPECT_TRUE(run_for(fixture.loop(), 20 * kFast));
  EXPECT_EQ(delivered, 0);
}

TEST(Realtime, DestroyedFromItsOwnCallbackStopsAtOnce) {
  LoopFixture fixture;
  auto live = std::make_shared<int>(0);
  std::vector<int> delivered;
  std::optional<RealtimeSender<Tracked>> sender;
  sender.emplace(
      8,
      [&](Tracked value) {
        delivered.push_back(value.value);
        sender.reset();
      },
      kFast);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(sender->try_send(Tracked(live, i)));
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return !delivered.empty(); }));
  EXPECT_TRUE(run_for(fixture.loop(), 20 * kFast));
  EXPECT_EQ(delivered, std::vector<int>{0});
  EXPECT_EQ(*live, 0);
}

TEST(Realtime, ConstructionNeedsTheLoopThread) {
  try {
    RealtimeSender<int> sender(4, [](int) {});
    ADD_FAILURE() << "constructed without a loop";
  } catch (const RunLoopError& e) {
    EXPECT_EQ(e.error(), Error::NotInitialized);
  }
  LoopFixture fixture;
  std::optional<Error> off_thread;
  std::thread([&off_thread] {
    try {
      RealtimeSender<int> sender(4, [](int) {});
    } catch (const RunLoopError& e) {
      off_thread = e.error();
    }
  }).join();
  EXPECT_EQ(off_thread, Error::NotRunLoopThread);
}

TEST(Realtime, InvalidArgumentsAreRejected) {
  LoopFixture fixture;
  EXPECT_THROW(RealtimeSender<int>(0, [](int) {}), std::invalid_argument);
  EXPECT_THROW(RealtimeSender<int>(
                   4, [](int) {}, 0ms),
               std::invalid_argument);
  EXPECT_THROW(RealtimeSender<int>(
                   4, [](int) {}, -1ms),
               std::invalid_argument);
}

TEST(Realtime, MoveKeepsTheRingAndEmptiesTheSource) {
  LoopFixture fixture;
  Received received;
  RealtimeSender<int> first(4, received.sink(), kFast);
  ASSERT_TRUE(first.try_send(1));
  RealtimeSender<int> second(std::move(first));
  ASSERT_TRUE(second.try_send(2));
  EXPECT_FALSE(first.try_send(3));  // NOLINT(bugprone-use-after-move): defined to fail
  EXPECT_EQ(first.dropped(), 0u);
  EXPECT_EQ(first.capacity(), 0u);
  EXPECT_EQ(first.poll_interval(), 0ns);
  EXPECT_EQ(second.capacity(), 4u);
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return received.values.size() == 2; }));
  EXPECT_EQ(received.values, (std::vector<int>{1, 2}));
}

TEST(Realtime, MoveAssignmentReleasesTheTargetsRing) {
  LoopFixture fixture;
  Received old_values, new_values;
  RealtimeSender<int> target(4, old_values.sink(), kFast);
  ASSERT_TRUE(target.try_send(1));  // pending in the ring that is about to go
  RealtimeSender<int> source(4, new_values.sink(), kFast);
  ASSERT_TRUE(source.try_send(2));
  target = std::move(source);
  ASSERT_TRUE(target.try_send(3));
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return new_values.values.size() == 2; }));
  EXPECT_TRUE(run_for(fixture.loop(), 10 * kFast));
  EXPECT_EQ(new_values.values, (std::vector<int>{2, 3}));
  EXPECT_TRUE(old_values.values.empty());
}

class RealtimeExceptionTest : public ::testing::Test {
 protected:
  void TearDown() override { set_exception_handler(nullptr); }
};

TEST_F(RealtimeExceptionTest, AThrowingCallbackGoesToTheHandlerAndDeliveryContinues) {
  LoopFixture fixture;
  std::vector<int> seen;
  int caught = 0;
  set_exception_handler([&](std::exception_ptr) { ++caught; });
  RealtimeSender<int> sender(
      8,
      [&](int value) {
        seen.push_back(value);
        if (value % 2 == 0) throw std::runtime_error("even");
      },
      kFast);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(sender.try_send(i));
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return seen.size() == 6; }));
  EXPECT_EQ(seen, iota(0, 6));
  EXPECT_EQ(caught, 3);
  // And later polls still deliver.
  ASSERT_TRUE(sender.try_send(7));
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return seen.size() == 7; }));
}

// on_value may run a nested loop (a modal dialog): the polls inside it continue the same
// ring, and the outer one then finds nothing left to deliver twice.
TEST(Realtime, ANestedLoopInsideTheCallbackKeepsOrder) {
  LoopFixture fixture;
  std::vector<int> seen;
  std::optional<RealtimeSender<int>> sender;
  sender.emplace(
      8,
      [&](int value) {
        seen.push_back(value);
        if (value == 0) {
          ASSERT_TRUE(sender->try_send(100));  // arrives in a nested poll
          EXPECT_TRUE(run_until(fixture.loop(), [&] { return seen.size() == 5; }));
        }
      },
      kFast);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(sender->try_send(i));
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return seen.size() == 5; }));
  EXPECT_TRUE(run_for(fixture.loop(), 10 * kFast));
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3, 100}));
}

TEST(Realtime, AfterShutdownTrySendFailsAndTheSenderIsHarmless) {
  auto guard = std::make_optional(acquire_loop());
  int delivered = 0;
  RealtimeSender<int> sender(
      4, [&](int) { ++delivered; }, kFast);
  ASSERT_TRUE(sender.try_send(1));
  guard.reset();  // the last deinit(): the poll goes with the loop
  EXPECT_FALSE(sender.try_send(2));
  EXPECT_EQ(sender.dropped(), 1u);
  EXPECT_EQ(delivered, 0);
  // A new loop does not revive it.
  LoopFixture fixture;
  EXPECT_FALSE(sender.try_send(3));
  EXPECT_TRUE(run_for(fixture.loop(), 10 * kFast));
  EXPECT_EQ(delivered, 0);
}

TEST(Realtime, SendersWithTheSameIntervalAllDeliver) {
  LoopFixture fixture;
  std::vector<Received> received(5);
  std::vector<RealtimeSender<int>> senders;
  for (auto& r : received) senders.emplace_back(4, r.sink(), kFast);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(senders[i].try_send(i));
  ASSERT_TRUE(run_until(fixture.loop(), [&] {
    for (auto& r : received) {
      if (r.values.empty()) return false;
    }
    return true;
  }));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(received[i].values, std::vector<int>{i});
}

// TSan's case: a producer hammering a small ring while the loop drains it. Every value is
// eventually accepted (the producer retries), arrives once and in order, and every refusal
// is counted.
TEST(Realtime, AHammeringProducerLosesNothingItWasToldWasSent) {
  LoopFixture fixture;
  constexpr int kValues = 20'000;
  std::vector<int> seen;
  seen.reserve(kValues);
  RealtimeSender<int> sender(
      64, [&](int v) { seen.push_back(v); }, kFast);
  std::atomic<std::uint64_t> refusals{0};
  std::atomic<bool> done{false};
  std::thread producer([&] {
    std::uint64_t refused = 0;
    for (int i = 0; i < kValues; ++i) {
      while (!sender.try_send(i)) {
        ++refused;
        std::this_thread::yield();
      }
    }
    refusals = refused;
    done = true;
  });
  ASSERT_TRUE(run_until(fixture.loop(), [&] {
    (void)sender.dropped();  // read while the producer writes it
    return done && seen.size() == kValues;
  }));
  producer.join();
  EXPECT_EQ(seen, iota(0, kValues));
  EXPECT_EQ(sender.dropped(), refusals.load());
}

}  // namespace
}  // namespace runloop::test
