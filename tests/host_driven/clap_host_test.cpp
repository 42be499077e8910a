// CLAP hosts that never iterate GLib, driving plugin modules that embed runloop through
// <runloop/clap.hpp>: a poll() host offering posix-fd-support and timer-support, a host that
// offers timers only, and one that refuses descriptors. This program does not link GLib or
// runloop; it drives the modules only as such a host would.
#include <sys/stat.h>

#include "clap_test_host.hpp"
#include "test_host.hpp"

namespace clap_test {
namespace {

// runloop::clap::Driver, as test_clap_driver() reports it.
enum { kPosixFd = 1, kTimer = 2, kNative = 3 };

constexpr unsigned kBurst = 50;

class ClapHost : public ::testing::Test {
 protected:
  void SetUp() override { baseline_.take(); }
  // Nothing of any module is left: no descriptor, no thread.
  void expect_nothing_left() const { baseline_.expect_nothing_left(); }

  MainLoop loop;
  test_host::Baseline baseline_;
};

TEST_F(ClapHost, PosixFdHostDrivesTwoInstancesAndASecondModuleAndUnloadsOne) {
  auto a = std::make_unique<Module>(CLAP_PLUGIN_A_PATH);
  Module b(CLAP_PLUGIN_B_PATH);
  ASSERT_TRUE(a->loaded() && b.loaded());
  auto a1 = std::make_unique<Instance>(*a, Offer{});
  auto a2 = std::make_unique<Instance>(*a, Offer{});
  Instance b1(b, Offer{});
  ASSERT_TRUE(a1->plugin() && a2->plugin() && b1.plugin());
  for (Instance* instance : {a1.get(), a2.get(), &b1}) {
    loop.add(*instance);
    ASSERT_EQ(instance->fds().size(), 1u);
    EXPECT_TRUE(instance->timers().empty()) << "a descriptor is enough";
    struct stat info {};
    ASSERT_EQ(fstat(instance->fds()[0].fd, &info), 0);
    EXPECT_TRUE(S_ISFIFO(info.st_mode));
    EXPECT_EQ(instance->fds()[0].flags, static_cast<clap_posix_fd_flags_t>(CLAP_POSIX_FD_READ));
  }
  EXPECT_EQ(a->driver(a1->plugin()), kPosixFd);
  EXPECT_NE(a1->fds()[0].fd, a2->fds()[0].fd) << "instances share nothing, not even a number";

  EXPECT_TRUE(loop.iterate_until([&] {
    return progressed(a->progress(a1->plugin()), {}) && progressed(a->progress(a2->plugin()), {}) &&
           progressed(b.progress(b1.plugin()), {});
  }));

  // One instance goes: its registration with it; the other instance keeps the module going.
  loop.remove(*a1);
  a1->destroy();
  EXPECT_TRUE(a1->fds().empty()) << "destroy() must unregister the descriptor";
  const TestProgress a2_before = a->progress(a2->plugin());
  EXPECT_TRUE(loop.iterate_until([&] { return progressed(a->progress(a2->plugin()), a2_before); }));

  // The module's last instance goes with work pending; then the module is unloaded.
  const int pending = a->leave_pending_work(kBurst);
  ASSERT_EQ(pending, static_cast<int>(2 + 2 * kBurst));
  const TestProgress a2_last = a->progress(a2->plugin());
  EXPECT_EQ(a2_last.wrong_thread, 0u);
  EXPECT_EQ(a2_last.early, 0u);
  loop.remove(*a2);
  a2->destroy();
  EXPECT_TRUE(a2->fds().empty());
  const TestModuleProgress a_end = a->module_progress();
  EXPECT_EQ(a_end.loop_alive, 0) << "the last instance's detach() ends the module's loop";
  EXPECT_EQ(a_end.pending_destroyed, static_cast<uint64_t>(pending));
  EXPECT_EQ(a_end.pending_ran, 0u);
  EXPECT_EQ(a_end.diagnoses, 0u) << "a host that drives the loop is never diagnosed";
  a.reset();
  EXPECT_FALSE(is_mapped(CLAP_PLUGIN_A_PATH)) << "the module must unload after its deinit()";

  // B did not notice.
  const TestProgress b_before = b.progress(b1.plugin());
  EXPECT_TRUE(loop.iterate_until([&] { return progressed(b.progress(b1.plugin()), b_before); }));
  const TestProgress b_end = b.progress(b1.plugin());
  EXPECT_EQ(b_end.wrong_thread, 0u);
  EXPECT_EQ(b_end.early, 0u);
  EXPECT_EQ(b.module_progress().diagnoses, 0u);
  loop.remove(b1);
  b1.destroy();
  EXPECT_TRUE(b1.fds().empty());
  b.unload();
  EXPECT_FALSE(is_mapped(CLAP_PLUGIN_B_PATH));
  expect_nothing_left();
}

TEST_F(ClapHost, AModuleCanBeLoadedAgainAfterUnloading) {
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("load " + std::to_string(round + 1));
    Module a(CLAP_PLUGIN_A_PATH);
    ASSERT_TRUE(a.loaded());
    Instance a1(a, Offer{});
    ASSERT_TRUE(a1.plugin());
    EXPECT_EQ(a.progress(a1.plugin()).ticks, 0u) << "fresh static state: a new copy";
    loop.add(a1);
    EXPECT_TRUE(loop.iterate_until([&] { return progressed(a.progress(a1.plugin()), {}); }));
    loop.remove(a1);
    a1.destroy();
    a.unload();
    EXPECT_FALSE(is_mapped(CLAP_PLUGIN_A_PATH));
  }
  expect_nothing_left();
}

TEST_F(ClapHost, TimerOnlyHostDrivesThroughItsTimer) {
  Module a(CLAP_PLUGIN_A_PATH);
  ASSERT_TRUE(a.loaded());
  {
    Instance a1(a, Offer{.posix_fd = false});
    Instance a2(a, Offer{.posix_fd = false});
    ASSERT_TRUE(a1.plugin() && a2.plugin());
    loop.add(a1);
    loop.add(a2);
    EXPECT_EQ(a.driver(a1.plugin()), kTimer);
    ASSERT_EQ(a1.timers().size(), 1u);
    EXPECT_TRUE(a1.fds().empty());
    EXPECT_TRUE(loop.iterate_until([&] {
      return progressed(a.progress(a1.plugin()), {}) && progressed(a.progress(a2.plugin()), {});
    }));
    EXPECT_GT(a1.timer_calls, 0);
    EXPECT_EQ(a.progress(a1.plugin()).early, 0u);
    EXPECT_EQ(a.module_progress().diagnoses, 0u);
    loop.remove(a1);
    a1.destroy();
    EXPECT_TRUE(a1.timers().empty()) << "destroy() must unregister the timer";
    const TestProgress before = a.progress(a2.plugin());
    EXPECT_TRUE(loop.iterate_until([&] { return progressed(a.progress(a2.plugin()), before); }));
    loop.remove(a2);
  }
  EXPECT_EQ(a.module_progress().loop_alive, 0);
  a.unload();
  EXPECT_FALSE(is_mapped(CLAP_PLUGIN_A_PATH));
  expect_nothing_left();
}

TEST_F(ClapHost, AHostThatRefusesDescriptorsGetsATimer) {
  Module a(CLAP_PLUGIN_A_PATH);
  ASSERT_TRUE(a.loaded());
  {
    Instance a1(a, Offer{.refuse_fds = true});
    ASSERT_TRUE(a1.plugin());
    loop.add(a1);
    EXPECT_EQ(a.driver(a1.plugin()), kTimer);
    EXPECT_TRUE(a1.fds().empty());
    EXPECT_EQ(a1.timers().size(), 1u);
    EXPECT_TRUE(loop.iterate_until([&] { return progressed(a.progress(a1.plugin()), {}); }));
    loop.remove(a1);
  }
  a.unload();
  expect_nothing_left();
}

#if defined(CLAP_EXAMPLE_PATH)
// The example in examples/ loads, runs under this host and leaves nothing behind.
TEST_F(ClapHost, TheExamplePluginRunsAndUnloads) {
  {
    Module example(CLAP_EXAMPLE_PATH);
    ASSERT_TRUE(example.loaded());
    Instance instance(example, Offer{});
    ASSERT_TRUE(instance.plugin());
    ASSERT_EQ(instance.fds().size(), 1u);
    loop.add(instance);
    EXPECT_TRUE(loop.iterate_until([&] { return instance.fd_calls >= 5; }))
        << "the example's timers should make its descriptor readable";
    loop.remove(instance);
    instance.destroy();
    EXPECT_TRUE(instance.fds().empty());
  }
  EXPECT_FALSE(is_mapped(CLAP_EXAMPLE_PATH));
  expect_nothing_left();
}
#endif

}  // namespace
}  // namespace clap_test
