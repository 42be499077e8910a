// White-box tests of the mailbox's wake-ups, against a backend whose wake() can fail (a full
// Win32 message queue: PostMessage refuses a thread's 10,001st message; Wine has no such
// limit, so this cannot be reproduced there).
#include "core/mailbox.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "backends/backend.hpp"
#include "core/time_math.hpp"

namespace runloop::detail {
namespace {

class FakeBackend final : public Backend {
 public:
  bool wake() noexcept override {
    ++wakes;
    return !fail_wakes;
  }
  void arm_deadline(std::optional<Clock::time_point>) noexcept override {}
  void poll_once(bool) override {}
  void detach() noexcept override {}
  bool attached() const noexcept override { return true; }

  bool fail_wakes = false;
  int wakes = 0;
};

// Posts from another thread: the loop thread's own posts take another path.
void post_from_another_thread(Mailbox& mailbox, int count) {
  std::thread([&mailbox, count] {
    for (int i = 0; i < count; ++i) {
      Callback callback([] {});
      EXPECT_TRUE(mailbox.post(callback));
    }
  }).join();
}

struct MailboxFixture : ::testing::Test {
  FakeBackend backend;
  Mailbox* mailbox = new Mailbox(nullptr, &backend);
  ~MailboxFixture() override {
    mailbox->close();
    mailbox->release();
  }
};

TEST_F(MailboxFixture, ABurstOfPostsWakesOnce) {
  post_from_another_thread(*mailbox, 100);
  EXPECT_EQ(backend.wakes, 1);
}

// Issue 10, item 10: the mailbox woke only when it went from empty to non-empty, so a wake-up
// that could not be queued was lost for good and the loop slept on a non-empty inbox.
TEST_F(MailboxFixture, AFailedWakeIsRetriedByTheNextPostUntilOneGetsThrough) {
  backend.fail_wakes = true;
  post_from_another_thread(*mailbox, 3);
  EXPECT_EQ(backend.wakes, 3) << "every post after a failed wake-up tries again";
  backend.fail_wakes = false;
  post_from_another_thread(*mailbox, 1);
  EXPECT_EQ(backend.wakes, 4);
  post_from_another_thread(*mailbox, 5);
  EXPECT_EQ(backend.wakes, 4) << "once one got through, posts coalesce again";
  std::vector<Callback> drained;
  mailbox->drain_into(drained);
  EXPECT_EQ(drained.size(), 9u);
}

TEST_F(MailboxFixture, AfterADrainTheNextPostWakesAgain) {
  post_from_another_thread(*mailbox, 2);
  std::vector<Callback> drained;
  mailbox->drain_into(drained);
  post_from_another_thread(*mailbox, 2);
  EXPECT_EQ(backend.wakes, 2);
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
