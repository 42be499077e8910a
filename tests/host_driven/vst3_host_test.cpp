// A VST3 host whose IRunLoop is its own poll() loop and calls every registered event
// handler's onFDIsSet on every iteration, readable or not (as REAPER does), driving a plugin
// module that embeds runloop through <runloop/vst3.hpp>. The editor is opened and closed
// several times while work is queued. This program does not link GLib or runloop.
#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <functional>

#include "test_host.hpp"
#include "vst3_test_host.hpp"

namespace vst3_test {
namespace {

class ReaperStyleRunLoop : public Frame {
 public:
  // One iteration of the host's loop: sleep at most `max_wait` on the descriptors, then
  // every handler (readable or not) and every due timer.
  void iterate(std::chrono::milliseconds max_wait = 2ms) {
    std::vector<pollfd> polled;
    for (const Handler& h : handlers()) polled.push_back({h.fd, POLLIN, 0});
    Clock::time_point wake = Clock::now() + max_wait;
    for (const HostTimer& timer : timers()) wake = std::min(wake, timer.next);
    test_host::poll_until(polled, wake);
    const std::vector<Handler> current = handlers();  // a handler may unregister
    for (const Handler& h : current) {
      ++fd_calls;
      h.handler->onFDIsSet(h.fd);
    }
    const auto now = Clock::now();
    for (HostTimer& timer : timers()) {
      if (!timer.take_due(now)) continue;
      timer.handler->onTimer();
    }
  }
  bool iterate_until(const std::function<bool()>& done) {
    return test_host::iterate_until([this] { iterate(); }, done);
  }
  void iterate_for(std::chrono::milliseconds duration) {
    test_host::iterate_for([this] { iterate(); }, duration);
  }

  long fd_calls = 0;
};

class Vst3Host : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (!host_driven()) {
      // GLib's default context, made by the first init() in the process, keeps its wake-up
      // descriptor for good: it belongs in the baseline, not to any loop of ours.
      Module module(VST3_PLUGIN_PATH);
      if (void* controller = module.create_controller(false, false)) {
        module.destroy_controller(controller);
      }
    }
    baseline_.take();
  }
  void expect_nothing_left() const { baseline_.expect_nothing_left(); }
  bool host_driven() const { return GetParam(); }

  ReaperStyleRunLoop frame;
  test_host::Baseline baseline_;
};

constexpr unsigned kQueued = 20;

TEST_P(Vst3Host, WorkQueuedWhileNoViewIsOpenRunsOnceAFrameAttaches) {
  Module module(VST3_PLUGIN_PATH);
  ASSERT_TRUE(module.loaded());
  void* controller = module.create_controller(host_driven(), false);
  ASSERT_NE(controller, nullptr);
  std::uint64_t expected = 0;
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE("editor opened " + std::to_string(round + 1) + " times");
    module.queue_work(controller, kQueued);  // kQueued sends and one timer
    expected += kQueued + 1;
    // No editor, so no IRunLoop: nothing drives the loop (nobody iterates GLib either).
    frame.iterate_for(20ms);
    EXPECT_EQ(module.progress(controller).queued_run, expected - kQueued - 1);
    {
      Editor editor(module, controller, frame);
      ASSERT_EQ(frame.handlers().size(), 1u);
      ASSERT_EQ(frame.timers().size(), 1u);
      struct stat info {};
      ASSERT_EQ(fstat(frame.handlers()[0].fd, &info), 0);
      EXPECT_TRUE(S_ISFIFO(info.st_mode));
      EXPECT_TRUE(
          frame.iterate_until([&] { return module.progress(controller).queued_run == expected; }));
      // And work queued while the editor is open runs too.
      module.queue_work(controller, kQueued);
      expected += kQueued + 1;
      EXPECT_TRUE(
          frame.iterate_until([&] { return module.progress(controller).queued_run == expected; }));
    }
    EXPECT_TRUE(frame.handlers().empty()) << "closing the editor must unregister the handler";
    EXPECT_TRUE(frame.timers().empty()) << "closing the editor must unregister the timer";
    EXPECT_EQ(frame.references(), 1u) << "the IRunLoop reference was not given back";
  }
  const TestProgress progress = module.progress(controller);
  EXPECT_EQ(progress.early, 0u);
  EXPECT_EQ(progress.wrong_thread, 0u);
  EXPECT_GT(frame.fd_calls, 0);
  module.destroy_controller(controller);
  EXPECT_EQ(module.module_progress().loop_alive, 0);
  module.unload();
  EXPECT_FALSE(is_mapped(VST3_PLUGIN_PATH));
  expect_nothing_left();
}

TEST_P(Vst3Host, EveryIterationCallingTheHandlerNeitherHurtsNorRunsTimersEarly) {
  Module module(VST3_PLUGIN_PATH);
  ASSERT_TRUE(module.loaded());
  void* controller = module.create_controller(host_driven(), true);
  ASSERT_NE(controller, nullptr);
  {
    Editor editor(module, controller, frame);
    const TestProgress before = module.progress(controller);
    frame.iterate_for(300ms);
    const TestProgress after = module.progress(controller);
    EXPECT_GE(after.ticks, before.ticks + 3);
    EXPECT_GE(after.sends_run, before.sends_run + 10);
    EXPECT_GE(after.task_steps, before.task_steps + 2);
    EXPECT_EQ(after.early, 0u);
    EXPECT_EQ(after.wrong_thread, 0u);
    EXPECT_EQ(module.module_progress().diagnoses, 0u);
  }
  module.destroy_controller(controller);
  module.unload();
  expect_nothing_left();
}

TEST_P(Vst3Host, TwoEditorsRegisterSeparatelyAndOneCanClose) {
  Module module(VST3_PLUGIN_PATH);
  ASSERT_TRUE(module.loaded());
  void* controller = module.create_controller(host_driven(), false);
  ASSERT_NE(controller, nullptr);
  {
    Editor first(module, controller, frame);
    Editor second(module, controller, frame);
    ASSERT_EQ(frame.handlers().size(), 2u);
    EXPECT_NE(frame.handlers()[0].fd, frame.handlers()[1].fd);
    first.close();
    ASSERT_EQ(frame.handlers().size(), 1u);
    module.queue_work(controller, kQueued);
    EXPECT_TRUE(
        frame.iterate_until([&] { return module.progress(controller).queued_run == kQueued + 1; }));
  }
  EXPECT_TRUE(frame.handlers().empty());
  module.destroy_controller(controller);
  module.unload();
  expect_nothing_left();
}

INSTANTIATE_TEST_SUITE_P(Modes, Vst3Host, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "HostDriven" : "NativeInit";
                         });

}  // namespace
}  // namespace vst3_test
