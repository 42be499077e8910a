// The undriven diagnosis: work ready for 2 s that nothing dispatches is reported once per
// loop, in every mode, from the library's own thread; a loop that is driven never is.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fd_test_util.hpp"
#include "runloop/host_driven.hpp"
#include "test_support.hpp"

namespace runloop::test {
namespace {

// Long enough past the 2 s threshold that a report would have come.
constexpr auto kQuietPeriod = 3500ms;

class Diagnoses {
 public:
  Diagnoses() {
    set_diagnostic_handler([this](std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    });
  }
  Diagnoses(const Diagnoses&) = delete;
  Diagnoses& operator=(const Diagnoses&) = delete;
  ~Diagnoses() { set_diagnostic_handler(nullptr); }

  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return lines_.size();
  }
  std::string line(std::size_t i) const {
    std::lock_guard lock(mutex_);
    return lines_.at(i);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

void expect_names_the_module(const std::string& line) {
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line";
  EXPECT_NE(line.find("/host_driven_diagnosis_test"), std::string::npos)
      << "should name the module: " << line;
  EXPECT_NE(line.find("host_driven"), std::string::npos) << line;
}

TEST(Diagnosis, HostDrivenLoopThatNobodyDispatchesIsReportedOnce) {
  Diagnoses diagnoses;
  auto guard = RunLoop::acquire(host_driven);
  std::thread([sender = RunLoop::sender()] { sender.send([] {}); }).join();
  ASSERT_TRUE(wait_until([&] { return diagnoses.count() == 1; }));
  const std::string line = diagnoses.line(0);
  expect_names_the_module(line);
  EXPECT_NE(line.find("dispatch()"), std::string::npos) << line;
  // Once per loop, however long it stays undriven and whatever else arrives.
  RunLoop::sender().send([] {});
  auto timer = RunLoop::current().schedule(1ms, [] {});
  EXPECT_FALSE(wait_until([&] { return diagnoses.count() > 1; }, kQuietPeriod));
}

TEST(Diagnosis, NativeLoopThatNothingIteratesIsReported) {
  Diagnoses diagnoses;
  auto guard = RunLoop::acquire();
  std::thread([sender = RunLoop::sender()] { sender.send([] {}); }).join();
  ASSERT_TRUE(wait_until([&] { return diagnoses.count() == 1; }));
  const std::string line = diagnoses.line(0);
  expect_names_the_module(line);
  EXPECT_NE(line.find("nothing iterates"), std::string::npos) << line;
}

TEST(Diagnosis, ADueTimerThatNobodyRunsIsReported) {
  Diagnoses diagnoses;
  auto guard = RunLoop::acquire(host_driven);
  auto timer = RunLoop::current().schedule(10ms, [] {});
  ASSERT_TRUE(wait_until([&] { return diagnoses.count() == 1; }));
}

TEST(Diagnosis, ALoopThreadStuckInACallbackIsReportedAsSuch) {
  Diagnoses diagnoses;
  auto guard = RunLoop::acquire(host_driven);
  const RunLoop loop = RunLoop::current();
  bool reported = false;
  RunLoop::sender().send([&] {
    RunLoop::sender().send([] {});  // waits behind this callback
    reported = wait_until([&] { return diagnoses.count() == 1; });
  });
  loop.dispatch();
  ASSERT_TRUE(reported);
  EXPECT_NE(diagnoses.line(0).find("inside one of this loop's callbacks"), std::string::npos)
      << diagnoses.line(0);
}

TEST(Diagnosis, AHostThatStoppedDrivingIsToldApartFromOneThatNeverDid) {
  Diagnoses diagnoses;
  auto guard = RunLoop::acquire(host_driven);
  bool ran = false;
  RunLoop::sender().send([&] { ran = true; });
  RunLoop::current().dispatch();
  ASSERT_TRUE(ran);
  RunLoop::sender().send([] {});  // and then nobody dispatches any more
  ASSERT_TRUE(wait_until([&] { return diagnoses.count() == 1; }));
  EXPECT_NE(diagnoses.line(0).find("stopped driving"), std::string::npos) << diagnoses.line(0);
}

TEST(Diagnosis, NeverWhileAHostDispatchesOnTheDescriptor) {
  Diagnoses diagnoses;
  auto guard = RunLoop::acquire(host_driven);
  const RunLoop loop = RunLoop::current();
  std::atomic<bool> done{false};
  int ticks = 0;
  Timer tick(3ms, [&] { ++ticks; });
  tick.start();
  std::thread producer([sender = RunLoop::sender(), &done] {
    while (!done) {
      sender.send([] {});
      std::this_thread::sleep_for(1ms);
    }
  });
  const auto until = RunLoop::Clock::now() + kQuietPeriod;
  while (RunLoop::Clock::now() < until) {
    if (readable(loop.poll_fd(), 50ms)) loop.dispatch();
  }
  done = true;
  producer.join();
  EXPECT_GT(ticks, 0);
  EXPECT_EQ(diagnoses.count(), 0u);
}

TEST(Diagnosis, NeverWhileTheNativeLoopRuns) {
  Diagnoses diagnoses;
  auto guard = RunLoop::acquire();
  const RunLoop loop = RunLoop::current();
  std::atomic<bool> done{false};
  std::thread producer([sender = RunLoop::sender(), &done] {
    while (!done) {
      sender.send([] {});
      std::this_thread::sleep_for(1ms);
    }
  });
  Timer tick(3ms, [] {});
  tick.start();
  auto end = loop.schedule(kQuietPeriod, [&] { loop.stop(); });
  loop.run();  // the native loop (GLib), not the descriptor
  done = true;
  producer.join();
  EXPECT_EQ(diagnoses.count(), 0u);
}

TEST(Diagnosis, NeverForATimerThatWasCancelled) {
  Diagnoses diagnoses;
  auto guard = RunLoop::acquire(host_driven);
  auto timer = RunLoop::current().schedule(5ms, [] {});
  timer.cancel();
  EXPECT_FALSE(wait_until([&] { return diagnoses.count() > 0; }, kQuietPeriod));
}

// stderr, redirected into a pipe for the length of a test.
class CapturedStderr {
 public:
  CapturedStderr() {
    EXPECT_EQ(pipe2(pipe_, O_NONBLOCK | O_CLOEXEC), 0);
    saved_ = dup(STDERR_FILENO);
    dup2(pipe_[1], STDERR_FILENO);
  }
  CapturedStderr(const CapturedStderr&) = delete;
  CapturedStderr& operator=(const CapturedStderr&) = delete;
  ~CapturedStderr() {
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    close(pipe_[0]);
    close(pipe_[1]);
  }
  // Waits for a whole line.
  std::string line() {
    std::string text;
    wait_until([&] {
      char buffer[512];
      const ssize_t got = read(pipe_[0], buffer, sizeof buffer);
      if (got > 0) text.append(buffer, static_cast<std::size_t>(got));
      return text.find('\n') != std::string::npos;
    });
    return text;
  }

 private:
  int pipe_[2] = {-1, -1};
  int saved_ = -1;
};

TEST(Diagnosis, NullHandlerRestoresTheDefaultLineOnStderr) {
  set_diagnostic_handler([](std::string_view) { ADD_FAILURE() << "the old handler was called"; });
  set_diagnostic_handler(nullptr);
  CapturedStderr captured;
  auto guard = RunLoop::acquire(host_driven);
  RunLoop::sender().send([] {});
  const std::string text = captured.line();
  EXPECT_EQ(text.rfind("runloop: work on the run loop of ", 0), 0u) << text;
  ASSERT_EQ(text.find('\n'), text.size() - 1) << "exactly one line: " << text;
  expect_names_the_module(text.substr(0, text.size() - 1));
}

TEST(Diagnosis, DeinitEndsTheWatchWithoutAReport) {
  Diagnoses diagnoses;
  const std::size_t threads_before = thread_baseline();
  for (int i = 0; i < 20; ++i) {
    auto guard = i % 2 == 0 ? RunLoop::acquire(host_driven) : RunLoop::acquire();
    RunLoop::sender().send([] {});
  }
  EXPECT_TRUE(wait_until([&] { return threads() <= threads_before; }));
  EXPECT_FALSE(wait_until([&] { return diagnoses.count() > 0; }, kQuietPeriod));
}

}  // namespace
}  // namespace runloop::test
