// What only the ALooper backend can show: how it sits in a looper it does not own. The fds
// are observed from outside, through /proc/self/fd and /proc/self/fdinfo (the epoll set of
// the looper lists its registered fds as "tfd:" lines, an eventfd shows its counter).
#include <android/looper.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace runloop::test {
namespace {

// Open fds of this process by kind: "eventfd", "timerfd", "eventpoll", ...
std::set<int> fds_of_kind(const std::string& kind) {
  std::set<int> result;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    const auto target = std::filesystem::read_symlink(entry.path(), error).string();
    if (!error && target == "anon_inode:[" + kind + "]") {
      result.insert(std::stoi(entry.path().filename().string()));
    }
  }
  return result;
}

std::set<int> added(const std::set<int>& after, const std::set<int>& before) {
  std::set<int> result;
  for (int fd : after) {
    if (!before.count(fd)) result.insert(fd);
  }
  return result;
}

// The "key: value" lines of /proc/self/fdinfo/<fd>, first word of the value.
std::multimap<std::string, std::string> fdinfo(int fd) {
  std::multimap<std::string, std::string> result;
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
  std::string key, value, rest;
  while (in >> key >> value) {
    std::getline(in, rest);
    result.emplace(key, value);
  }
  return result;
}

// The counter of an eventfd (fdinfo shows it in hex); -1 if not found.
unsigned long eventfd_count(int fd) {
  const auto info = fdinfo(fd);
  const auto count = info.find("eventfd-count:");
  return count == info.end() ? static_cast<unsigned long>(-1)
                             : std::stoul(count->second, nullptr, 16);
}

// The fds registered in an epoll set.
std::set<int> epoll_targets(int epoll_fd) {
  std::set<int> result;
  for (const auto& [key, value] : fdinfo(epoll_fd)) {
    if (key == "tfd:") result.insert(std::stoi(value));
  }
  return result;
}

// The epoll fd of the calling thread's looper, which must not exist yet: prepares it.
int prepare_looper_and_find_its_epoll(ALooper** looper) {
  EXPECT_EQ(ALooper_forThread(), nullptr);
  const auto before = fds_of_kind("eventpoll");
  *looper = ALooper_prepare(0);
  const auto created = added(fds_of_kind("eventpoll"), before);
  EXPECT_EQ(created.size(), 1u);
  return created.empty() ? -1 : *created.begin();
}

struct OurFds {
  int wake = -1;
  int timer = -1;
};

// init() on this thread; returns the eventfd and timerfd it created. The looper is prepared
// first: its own wake-up eventfd is not ours.
OurFds init_and_find_our_fds() {
  ALooper_prepare(0);
  const auto events_before = fds_of_kind("eventfd");
  const auto timers_before = fds_of_kind("timerfd");
  EXPECT_TRUE(RunLoop::init());
  const auto events = added(fds_of_kind("eventfd"), events_before);
  const auto timers = added(fds_of_kind("timerfd"), timers_before);
  EXPECT_EQ(events.size(), 1u);
  EXPECT_EQ(timers.size(), 1u);
  OurFds fds;
  if (events.size() == 1) fds.wake = *events.begin();
  if (timers.size() == 1) fds.timer = *timers.begin();
  return fds;
}

// Each test that prepares a looper runs on a fresh thread: a prepared looper stays with its
// thread for good, and gtest runs every test of this file on the same main thread.
template <class F>
void on_fresh_thread(F&& body) {
  std::thread(std::forward<F>(body)).join();
}

TEST(AlooperBackend, OneEventfdAndOneTimerfdForAnyAmountOfWorkAndNothingLeftAfterDeinit) {
  on_fresh_thread([] {
    ALooper* looper = nullptr;
    const int epoll_fd = prepare_looper_and_find_its_epoll(&looper);
    const auto registered_before = epoll_targets(epoll_fd);

    const OurFds ours = init_and_find_our_fds();
    EXPECT_EQ(epoll_targets(epoll_fd), [&] {
      auto expected = registered_before;
      expected.insert({ours.wake, ours.timer});
      return expected;
    }()) << "exactly our two fds are added to the thread's looper";

    const auto fd_count = [] {
      return fds_of_kind("eventfd").size() + fds_of_kind("timerfd").size();
    };
    const auto fds_after_init = fd_count();
    auto loop = RunLoop::current();
    std::atomic<int> ran{0};
    for (int i = 0; i < 1000; ++i)
      loop.schedule(std::chrono::milliseconds(i % 7), [&] { ++ran; }).detach();
    for (int i = 0; i < 1000; ++i) loop.schedule(1h + std::chrono::seconds(i), [] {}).detach();
    std::thread([sender = RunLoop::sender(), &ran] {
      for (int i = 0; i < 1000; ++i) sender.send([&ran] { ++ran; });
    }).join();
    EXPECT_EQ(fd_count(), fds_after_init) << "no fd per timer or per message";
    EXPECT_TRUE(drive_until([&] { return ran == 2000; }));
    EXPECT_EQ(epoll_targets(epoll_fd).size(), registered_before.size() + 2);

    RunLoop::deinit();
    EXPECT_EQ(epoll_targets(epoll_fd), registered_before);
    EXPECT_FALSE(fds_of_kind("eventfd").count(ours.wake)) << "eventfd left open";
    EXPECT_FALSE(fds_of_kind("timerfd").count(ours.timer)) << "timerfd left open";
    // The looper's own table too (a close without ALooper_removeFd empties the epoll set
    // but leaves the request and its callback in the looper).
    EXPECT_EQ(ALooper_removeFd(looper, ours.wake), 0);
    EXPECT_EQ(ALooper_removeFd(looper, ours.timer), 0);
    EXPECT_EQ(ALooper_forThread(), looper);
  });
}

TEST(AlooperBackend, ABurstOfSendsWritesTheEventfdOnce) {
  on_fresh_thread([] {
    const OurFds ours = init_and_find_our_fds();
    std::atomic<int> ran{0};
    std::thread([sender = RunLoop::sender(), &ran] {
      for (int i = 0; i < 1000; ++i) sender.send([&ran] { ++ran; });
    }).join();
    EXPECT_EQ(eventfd_count(ours.wake), 1u) << "one wake-up for the whole burst";
    // The batches leave at most one wake-up behind (asked for while work was left, in case a
    // callback ran a loop of its own); the callback drains it, or the level-triggered
    // looper would call us forever.
    EXPECT_TRUE(drive_until([&] { return ran == 1000 && eventfd_count(ours.wake) == 0; }));
    RunLoop::deinit();
  });
}

TEST(AlooperBackend, ReusesTheLooperAlreadyOnTheThread) {
  on_fresh_thread([] {
    ALooper* existing = nullptr;
    const int epoll_fd = prepare_looper_and_find_its_epoll(&existing);
    const OurFds ours = init_and_find_our_fds();
    EXPECT_EQ(ALooper_forThread(), existing);
    const auto targets = epoll_targets(epoll_fd);
    EXPECT_TRUE(targets.count(ours.wake) && targets.count(ours.timer))
        << "our fds are in the existing looper's epoll set";
    bool ran = false;
    RunLoop::sender().send([&] { ran = true; });
    EXPECT_TRUE(drive_until([&] { return ran; }));
    RunLoop::deinit();
    EXPECT_EQ(ALooper_forThread(), existing);
  });
}

TEST(AlooperBackend, PreparesALooperOnAThreadWithout) {
  on_fresh_thread([] {
    ASSERT_EQ(ALooper_forThread(), nullptr);
    {
      LoopFixture fixture;
      ALooper* looper = ALooper_forThread();
      ASSERT_NE(looper, nullptr);
      bool ran = false;
      auto handle = fixture.loop().schedule(1ms, [&] { ran = true; });
      EXPECT_TRUE(drive_until([&] { return ran; }));
    }
    // A prepared looper belongs to its thread (there is no "unprepare"); it stays, empty.
    EXPECT_NE(ALooper_forThread(), nullptr);
  });
}

TEST(AlooperBackend, InitFailsCleanlyWhenTheFdsCannotBeCreated) {
  on_fresh_thread([] {
    ALooper* looper = nullptr;
    const int epoll_fd = prepare_looper_and_find_its_epoll(&looper);
    const auto registered_before = epoll_targets(epoll_fd);
    // A first init() warms up what UBSan's vptr checks need: on a type's first check they
    // open a pipe, which would fail below and be reported as a bad vptr.
    ASSERT_TRUE(RunLoop::init());
    RunLoop::deinit();
    // Use up every fd number but one (under a lowered limit): the eventfd gets it, the
    // timerfd fails.
    int highest = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      highest = std::max(highest, std::stoi(entry.path().filename().string()));
    }
    rlimit saved{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
    rlimit tight = saved;
    tight.rlim_cur = std::min<rlim_t>(saved.rlim_cur, static_cast<rlim_t>(highest) + 16);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
    std::vector<int> filler;
    for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) filler.push_back(fd);
    ASSERT_FALSE(filler.empty());
    close(filler.back());
    filler.pop_back();
    auto result = RunLoop::init();
    for (int fd : filler) close(fd);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);

    ASSERT_FALSE(result);
    EXPECT_EQ(result.error(), Error::PlatformFailure);
    EXPECT_FALSE(RunLoop::is_run_loop_thread());
    EXPECT_EQ(epoll_targets(epoll_fd), registered_before);
    ASSERT_TRUE(RunLoop::init()) << "a later init() works";
    RunLoop::deinit();
  });
}

TEST(AlooperBackend, TimerFiresThroughTheTimerfdNoEarlierThanItsDeadline) {
  on_fresh_thread([] {
    const OurFds ours = init_and_find_our_fds();
    auto loop = RunLoop::current();
    const auto start = RunLoop::Clock::now();
    RunLoop::Clock::time_point fired_at{};
    auto handle = loop.schedule(30ms, [&] { fired_at = RunLoop::Clock::now(); });

    itimerspec armed{};
    ASSERT_EQ(timerfd_gettime(ours.timer, &armed), 0);
    const auto elapsed = RunLoop::Clock::now() - start;
    const auto remaining = std::chrono::seconds(armed.it_value.tv_sec) +
                           std::chrono::nanoseconds(armed.it_value.tv_nsec);
    EXPECT_GE(remaining, 30ms - elapsed) << "the timerfd is armed for the deadline";
    EXPECT_LE(remaining, 30ms);
    EXPECT_EQ(armed.it_interval.tv_sec, 0);
    EXPECT_EQ(armed.it_interval.tv_nsec, 0);

    // Nothing else is registered or signalled: only the timerfd can end these polls.
    EXPECT_TRUE(drive_until([&] { return fired_at != RunLoop::Clock::time_point{}; }));
    EXPECT_GE(fired_at - start, 30ms);
    ASSERT_EQ(timerfd_gettime(ours.timer, &armed), 0);
    EXPECT_EQ(armed.it_value.tv_sec + armed.it_value.tv_nsec, 0) << "nothing left to wait for";

    // An absurd delay is capped: the timerfd wakes within a day and re-arms.
    auto far = loop.schedule(std::chrono::hours(24 * 400), [] {});
    ASSERT_EQ(timerfd_gettime(ours.timer, &armed), 0);
    EXPECT_GT(armed.it_value.tv_sec, 0);
    EXPECT_LE(armed.it_value.tv_sec, 24 * 3600);
    RunLoop::deinit();
  });
}

TEST(AlooperBackend, HostsOtherFdsRunUnderRunAndOursUnderTheHostsPoll) {
  on_fresh_thread([] {
    LoopFixture fixture;
    auto& loop = fixture.loop();
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    struct Host {
      int calls = 0;
      const RunLoop* loop;
    } host{0, &loop};
    ALooper_addFd(
        ALooper_forThread(), pipe_fds[0], 0, ALOOPER_EVENT_INPUT,
        [](int fd, int, void* data) {
          char byte;
          EXPECT_EQ(read(fd, &byte, 1), 1);
          auto* state = static_cast<Host*>(data);
          if (++state->calls == 2) state->loop->stop();
          return 1;
        },
        &host);
    ASSERT_EQ(write(pipe_fds[1], "x", 1), 1);
    auto second = loop.schedule(5ms, [&] { EXPECT_EQ(write(pipe_fds[1], "y", 1), 1); });
    loop.run();  // drives the whole looper: the host's fd too
    EXPECT_EQ(host.calls, 2);
    ALooper_removeFd(ALooper_forThread(), pipe_fds[0]);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
  });
}

// android::Looper is not re-entrant; the shim aborts on a re-entered pollOnce. Both of our
// fds are due in one round here, so a re-entering backend would also crash libutils itself.
TEST(AlooperBackend, ModalRunInsideAHostDrivenCallbackDoesNotReenterTheLooper) {
  on_fresh_thread([] {
    LoopFixture fixture;
    auto& loop = fixture.loop();
    std::vector<std::string> events;
    loop.schedule(0ms, [&] { events.push_back("timer"); }).detach();
    RunLoop::sender().send([&] {
      events.push_back("modal begins");
      auto inner = loop.schedule(3ms, [&] {
        events.push_back("inner");
        loop.stop();
      });
      loop.run();
      events.push_back("modal ends");
    });
    EXPECT_TRUE(drive_until([&] { return events.size() == 4; }));
    EXPECT_EQ(events, (std::vector<std::string>{"modal begins", "timer", "inner", "modal ends"}));
  });
}

// Both fds due in one round, and the first callback calls deinit(): the looper may still
// call the other callback with our old data after ALooper_removeFd. It must touch nothing
// (ASan reports it otherwise).
TEST(AlooperBackend, DeinitInACallbackWhileTheOtherFdIsDueInTheSameRound) {
  on_fresh_thread([] {
    for (int round = 0; round < 20; ++round) {
      ASSERT_TRUE(RunLoop::init());
      auto loop = RunLoop::current();
      int deinits = 0;
      auto deinit_once = [&] {
        if (deinits++ == 0) RunLoop::deinit();
      };
      loop.schedule(0ms, deinit_once).detach();
      if (round % 2 == 0) {
        RunLoop::sender().send(deinit_once);
      } else {
        std::thread([sender = RunLoop::sender(), deinit_once] { sender.send(deinit_once); }).join();
      }
      std::this_thread::sleep_for(1ms);  // the 0 ms timerfd has expired: both fds are ready
      ALooper_pollOnce(-1, nullptr, nullptr, nullptr);
      ASSERT_EQ(deinits, 1);
      EXPECT_FALSE(RunLoop::try_current());
      ALooper_pollOnce(0, nullptr, nullptr, nullptr);  // nothing of ours is left to call
    }
  });
}

}  // namespace
}  // namespace runloop::test
