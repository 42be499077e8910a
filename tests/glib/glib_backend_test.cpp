// What only the GLib backend can show: how it sits in a GMainContext it does not own.
#include <glib.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "test_support.hpp"

namespace runloop::test {
namespace {

// How long the context would let its poll sleep, as a host's loop would ask it.
gint context_timeout(GMainContext* context) {
  gint priority = 0;
  g_main_context_acquire(context);
  g_main_context_prepare(context, &priority);
  GPollFD fds[16];
  gint timeout = 0;
  g_main_context_query(context, G_MAXINT, &timeout, fds, 16);
  g_main_context_check(context, priority, fds, 0);  // completes the iteration without dispatch
  g_main_context_release(context);
  return timeout;
}

TEST(GlibBackend, UsesTheDefaultContextOnTheMainThread) {
  LoopFixture fixture;
  bool ran = false;
  auto handle = fixture.loop().schedule(0ms, [&] { ran = true; });
  while (!ran) g_main_context_iteration(nullptr, TRUE);
}

TEST(GlibBackend, OneSourceForAnyNumberOfTimersAndNothingLeftAfterDeinit) {
  GMainContext* context = g_main_context_default();
  ASSERT_EQ(context_timeout(context), -1) << "the default context should start empty";
  ASSERT_TRUE(RunLoop::init());
  auto loop = RunLoop::current();
  for (int i = 0; i < 1000; ++i)
    loop.schedule(std::chrono::hours(1) + std::chrono::seconds(i), [] {}).detach();
  for (int i = 0; i < 1000; ++i) RunLoop::sender().send([] {});
  EXPECT_EQ(context_timeout(context), 0);  // work is ready
  RunLoop::deinit();
  EXPECT_EQ(context_timeout(context), -1) << "a source of ours is still attached";
  EXPECT_FALSE(g_main_context_pending(context));
}

TEST(GlibBackend, FarTimerSetsAFiniteTimeout) {
  LoopFixture fixture;
  auto handle = fixture.loop().schedule(10s, [] {});
  gint timeout = context_timeout(g_main_context_default());
  EXPECT_GT(timeout, 9000);
  EXPECT_LE(timeout, 10000);
}

TEST(GlibBackend, HostRunsAGMainLoop) {
  LoopFixture fixture;
  GMainLoop* main_loop = g_main_loop_new(nullptr, FALSE);
  int ticks = 0;
  std::atomic<int> remote{0};
  Timer timer(1ms, [&] {
    if (++ticks == 5) g_main_loop_quit(main_loop);
  });
  timer.start();
  std::thread producer([sender = RunLoop::sender(), &remote] {
    for (int i = 0; i < 100; ++i) sender.send([&remote] { ++remote; });
  });
  producer.join();
  g_main_loop_run(main_loop);
  g_main_loop_unref(main_loop);
  // The host's quit ends its loop after our batch: on a slow machine a tick that came due
  // meanwhile may still run in it.
  EXPECT_GE(ticks, 5);
  while (remote < 100) g_main_context_iteration(nullptr, TRUE);
}

TEST(GlibBackend, RunSurvivesForeignSourcesAndNestedHostIteration) {
  LoopFixture fixture;
  auto& loop = fixture.loop();
  int idle_calls = 0;
  guint idle = g_idle_add(
      [](gpointer data) -> gboolean {
        ++*static_cast<int*>(data);
        return G_SOURCE_CONTINUE;
      },
      &idle_calls);
  bool nested_done = false;
  auto outer = loop.schedule(0ms, [&] {
    // A host's modal loop, iterating the context from inside our callback.
    bool inner_fired = false;
    auto inner = loop.schedule(2ms, [&] { inner_fired = true; });
    while (!inner_fired) g_main_context_iteration(nullptr, TRUE);
    nested_done = true;
    loop.stop();
  });
  loop.run();
  g_source_remove(idle);
  EXPECT_TRUE(nested_done);
  EXPECT_GT(idle_calls, 0);
}

TEST(GlibBackend, BackgroundThreadGetsItsOwnContextAndPopsIt) {
  std::thread([] {
    EXPECT_EQ(g_main_context_get_thread_default(), nullptr);
    {
      LoopFixture fixture;
      EXPECT_NE(g_main_context_get_thread_default(), nullptr);
      bool ran = false;
      auto handle = fixture.loop().schedule(0ms, [&] { ran = true; });
      EXPECT_TRUE(run_until(fixture.loop(), [&] { return ran; }));
    }
    EXPECT_EQ(g_main_context_get_thread_default(), nullptr);
  }).join();
}

TEST(GlibBackend, RunAppWithoutGtkBehavesAsRun) {
  LoopFixture fixture;
  bool ran = false;
  auto handle = fixture.loop().schedule(1ms, [&] {
    ran = true;
    fixture.loop().stop_app();
  });
  fixture.loop().run_app();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace runloop::test
