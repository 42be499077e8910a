// White-box tests of the cross-thread mailbox and the deadline arithmetic.
#include "core/mailbox.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "backends/backend.hpp"
#include "core/time_math.hpp"

namespace runloop::detail {
namespace {

// A native loop whose queue is full for the first `failures` wake-ups (Win32's PostMessage
// fails with 10 000 messages queued).
class FlakyWaker final : public Backend {
 public:
  explicit FlakyWaker(int failures) : failures_(failures) {}
  bool wake() noexcept override {
    ++wakes;
    return failures_-- <= 0;
  }
  void arm_deadline(std::optional<Clock::time_point>) noexcept override {}
  void poll_once(bool) override {}
  void detach() noexcept override {}
  bool attached() const noexcept override { return true; }

  int wakes = 0;

 private:
  int failures_;
};

// Posts from another thread (the loop thread posts to its own queue, not the mailbox).
void post_from_another_thread(Mailbox& mailbox, int count) {
  std::thread([&] {
    for (int i = 0; i < count; ++i) {
      Callback callback = [] {};
      EXPECT_TRUE(mailbox.post(callback));
    }
  }).join();
}

TEST(Mailbox, OneWakeUpForABurst) {
  FlakyWaker waker(0);
  auto* mailbox = new Mailbox(nullptr, &waker);
  post_from_another_thread(*mailbox, 100);
  EXPECT_EQ(waker.wakes, 1);
  std::vector<Callback> drained;
  mailbox->drain_into(drained);
  EXPECT_EQ(drained.size(), 100u);
  post_from_another_thread(*mailbox, 1);
  EXPECT_EQ(waker.wakes, 2);  // empty again: the next post wakes
  mailbox->close();
  mailbox->release();
}

// A wake-up that could not be queued used to be lost for good: the inbox was no longer
// empty, so no later post woke the loop, and it slept on a full inbox.
TEST(Mailbox, AFailedWakeUpIsRetriedByTheNextPost) {
  FlakyWaker waker(2);
  auto* mailbox = new Mailbox(nullptr, &waker);
  post_from_another_thread(*mailbox, 1);
  EXPECT_EQ(waker.wakes, 1);  // failed
  post_from_another_thread(*mailbox, 1);
  EXPECT_EQ(waker.wakes, 2);  // retried, failed again
  post_from_another_thread(*mailbox, 1);
  EXPECT_EQ(waker.wakes, 3);  // retried, queued
  post_from_another_thread(*mailbox, 5);
  EXPECT_EQ(waker.wakes, 3);  // one is on its way: no more
  mailbox->close();
  mailbox->release();
}

TEST(TimeMath, DeadlinesSaturateInsteadOfOverflowing) {
  const Clock::time_point now = Clock::now();
  EXPECT_EQ(saturating_deadline(now, std::chrono::nanoseconds::max()), Clock::time_point::max());
  EXPECT_EQ(saturating_deadline(Clock::time_point::max(), std::chrono::nanoseconds(1)),
            Clock::time_point::max());
  EXPECT_EQ(saturating_deadline(now, std::chrono::nanoseconds(-5)), now);
  EXPECT_EQ(saturating_deadline(now, std::chrono::milliseconds(3)),
            now + std::chrono::milliseconds(3));
}

TEST(TimeMath, NativeTimeoutsRoundUpAndAreCapped) {
  const Clock::time_point now = Clock::now();
  using std::chrono::milliseconds;
  EXPECT_EQ(native_timeout<milliseconds>(now + std::chrono::microseconds(1), now), milliseconds(1));
  EXPECT_EQ(native_timeout<milliseconds>(now + std::chrono::microseconds(1500), now),
            milliseconds(2));
  EXPECT_EQ(native_timeout<milliseconds>(now - milliseconds(1), now), milliseconds(0));
  EXPECT_EQ(native_timeout<milliseconds>(Clock::time_point::max(), now),
            std::chrono::duration_cast<milliseconds>(kMaxNativeDelay));
}

}  // namespace
}  // namespace runloop::detail
