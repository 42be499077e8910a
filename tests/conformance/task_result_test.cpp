// A task's result as its record keeps it (a tagged union, not a std::optional): every value
// it holds is destroyed exactly once, whether it is taken, copied to several awaiters, lost to
// an abort, or never taken at all; void results carry value, abort and panic alike.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "test_support.hpp"

namespace runloop::test {
namespace {

// Counts live instances and catches a second destruction of one instance.
class Counted {
 public:
  static inline std::atomic<int> live{0};
  static inline std::atomic<int> destroyed_twice{0};

  explicit Counted(int value) : value_(value) { ++live; }
  Counted(const Counted& other) : value_(other.value_) { ++live; }
  Counted(Counted&& other) noexcept : value_(other.value_) { ++live; }
  Counted& operator=(const Counted&) = delete;
  ~Counted() {
    if (magic_ != kAlive) ++destroyed_twice;
    magic_ = kDead;
    --live;
  }
  int value() const { return value_; }

 private:
  static constexpr std::uint32_t kAlive = 0xA11CE;
  static constexpr std::uint32_t kDead = 0xDEAD;
  std::uint32_t magic_ = kAlive;
  int value_;
};

class MoveOnlyCounted : public Counted {
 public:
  using Counted::Counted;
  MoveOnlyCounted(const MoveOnlyCounted&) = delete;
  MoveOnlyCounted(MoveOnlyCounted&&) noexcept = default;
};

// Copyable in the type system, but every copy fails (as an allocation can).
class ThrowingCopy : public Counted {
 public:
  using Counted::Counted;
  ThrowingCopy(const ThrowingCopy& other) : Counted(other) { throw std::runtime_error("copy"); }
  ThrowingCopy(ThrowingCopy&&) noexcept = default;
};

class TaskResultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Counted::live = 0;
    Counted::destroyed_twice = 0;
    set_exception_handler([this](const std::exception_ptr&) { ++reported; });
  }
  void TearDown() override {
    set_exception_handler(nullptr);
    EXPECT_EQ(Counted::live, 0);
    EXPECT_EQ(Counted::destroyed_twice, 0);
  }
  int reported = 0;
};

template <class T>
Task<T> produce(RunLoop loop, const bool& go, int value) {
  while (!go) co_await loop.delay(1ms);
  co_return T(value);
}

TEST_F(TaskResultTest, TakenValueLeavesNothingBehind) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool go = true;
  auto handle = loop.spawn(produce<Counted>(loop, go, 3));
  ASSERT_TRUE(run_until(loop, [&] { return handle.is_finished(); }));
  EXPECT_EQ(Counted::live, 1);  // the record's
  {
    auto result = handle.try_take();
    ASSERT_TRUE(result && result->has_value());
    EXPECT_EQ((*result)->value(), 3);
    EXPECT_EQ(Counted::live, 1);  // moved out: the record's moved-from one is gone
    EXPECT_FALSE(handle.try_take().has_value());
  }
  EXPECT_EQ(Counted::live, 0);

  auto move_only = loop.spawn(produce<MoveOnlyCounted>(loop, go, 4));
  ASSERT_TRUE(run_until(loop, [&] { return move_only.is_finished(); }));
  EXPECT_EQ((**move_only.try_take()).value(), 4);
  EXPECT_EQ(Counted::live, 0);
}

TEST_F(TaskResultTest, UntakenValueIsDestroyedWithTheRecord) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool go = true;
  {
    auto handle = loop.spawn(produce<Counted>(loop, go, 1));
    ASSERT_TRUE(run_until(loop, [&] { return handle.is_finished(); }));
    EXPECT_EQ(Counted::live, 1);
  }  // dropped after it finished
  EXPECT_EQ(Counted::live, 0);

  go = false;
  bool ended = false;
  loop.spawn([&]() -> Task<MoveOnlyCounted> {  // detached before it finishes
    auto value = co_await produce<MoveOnlyCounted>(loop, go, 2);
    ended = true;
    co_return value;
  });
  ASSERT_TRUE(run_for(loop, 2ms));
  EXPECT_EQ(Counted::live, 0);
  go = true;
  ASSERT_TRUE(run_until(loop, [&] { return ended && Counted::live == 0; }));
  EXPECT_EQ(reported, 0);
}

TEST_F(TaskResultTest, AbortedTaskKeepsNoValue) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  auto suspended = loop.spawn([&]() -> Task<Counted> {
    Counted local(5);
    co_await loop.delay(1h);
    co_return local;
  });
  ASSERT_TRUE(run_for(loop, 1ms));
  EXPECT_EQ(Counted::live, 1);  // the frame's local
  suspended.abort();
  EXPECT_TRUE(suspended.is_finished());
  EXPECT_EQ(Counted::live, 0);
  EXPECT_TRUE(suspended.try_take()->error().is_aborted());
  EXPECT_FALSE(suspended.try_take().has_value());

  // Aborted while it ran, then returned a value anyway: the value goes with the frame.
  JoinHandle<Counted> running;
  running = loop.spawn([&]() -> Task<Counted> {
    running.abort();
    co_return Counted(6);
  });
  ASSERT_TRUE(run_until(loop, [&] { return running.is_finished(); }));
  EXPECT_EQ(Counted::live, 0);
  EXPECT_TRUE(running.try_take()->error().is_aborted());
}

TEST_F(TaskResultTest, EachAwaiterGetsItsOwnCopy) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool go = false;
  auto target = loop.spawn(produce<Counted>(loop, go, 7));
  auto waiter = [&]() -> Task<int> { co_return (co_await target)->value(); };
  auto first = loop.spawn(waiter);
  auto second = loop.spawn(waiter);
  auto third = loop.spawn(waiter);
  ASSERT_TRUE(run_for(loop, 5ms));
  go = true;
  ASSERT_TRUE(run_until(loop, [&] { return third.is_finished(); }));
  EXPECT_EQ(**first.try_take(), 7);
  EXPECT_EQ(**second.try_take(), 7);
  EXPECT_EQ(**third.try_take(), 7);
  EXPECT_FALSE(target.try_take().has_value());  // the last awaiter took the original
  EXPECT_EQ(Counted::live, 0);
}

// A copy that throws gives that awaiter Aborted; the last one still gets the original.
TEST_F(TaskResultTest, FailedCopyGivesThatAwaiterAborted) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  bool go = false;
  auto target = loop.spawn(produce<ThrowingCopy>(loop, go, 8));
  auto waiter = [&]() -> Task<int> {
    auto result = co_await target;
    co_return result ? result->value() : (result.error().is_aborted() ? -1 : -2);
  };
  auto first = loop.spawn(waiter);
  auto last = loop.spawn(waiter);
  ASSERT_TRUE(run_for(loop, 5ms));
  go = true;
  ASSERT_TRUE(run_until(loop, [&] { return first.is_finished() && last.is_finished(); }));
  EXPECT_EQ(**first.try_take(), -1);
  EXPECT_EQ(**last.try_take(), 8);
  EXPECT_EQ(Counted::live, 0);
  EXPECT_EQ(reported, 0);
}

// A void task's record holds only an exception: value, panic and abort still differ.
TEST_F(TaskResultTest, VoidResultsKeepTheirKind) {
  LoopFixture fixture;
  auto loop = fixture.loop();
  auto ok = loop.spawn([]() -> Task<void> { co_return; });
  auto failed = loop.spawn([]() -> Task<void> {
    throw std::runtime_error("void panic");
    co_return;
  });
  auto aborted = loop.spawn([&]() -> Task<void> { co_await loop.delay(1h); });
  ASSERT_TRUE(run_until(loop, [&] { return ok.is_finished() && failed.is_finished(); }));
  aborted.abort();

  auto value = ok.try_take();
  ASSERT_TRUE(value.has_value());
  EXPECT_TRUE(value->has_value());
  EXPECT_FALSE(ok.try_take().has_value());

  auto panic = failed.try_take();
  ASSERT_TRUE(panic.has_value());
  ASSERT_TRUE(panic->error().is_panic());
  try {
    std::rethrow_exception(panic->error().exception());
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "void panic");
  }
  EXPECT_FALSE(failed.try_take().has_value());

  EXPECT_TRUE(aborted.try_take()->error().is_aborted());
  { auto a = std::move(ok), b = std::move(failed), c = std::move(aborted); }
  EXPECT_EQ(reported, 0);  // the panic was taken
}

}  // namespace
}  // namespace runloop::test
