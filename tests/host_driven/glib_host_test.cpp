// Hosts that iterate GLib's default context on their main thread:
// - a VST3 host whose IRunLoop is built on GLib (g_unix_fd_add, g_timeout_add: how GLib
//   hosts such as Ardour implement it), with the plugin in host-driven mode, so the plugin's
//   work reaches GLib only through the host's own sources;
// - a CLAP host that offers neither posix-fd-support nor timer-support: the adapter stays on
//   the native loop, which this host iterates.
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <thread>

#include "clap_test_host.hpp"
#include "fd_test_util.hpp"
#include "test_host.hpp"
#include "vst3_test_host.hpp"

namespace {

using namespace std::chrono_literals;

// One blocking iteration of GLib's default context: the fixture's heartbeat bounds its wait.
void glib_iterate() {
  g_main_context_iteration(nullptr, TRUE);
}

bool glib_iterate_until(const std::function<bool()>& done) {
  return test_host::iterate_until(glib_iterate, done);
}

void glib_iterate_for(std::chrono::milliseconds duration) {
  test_host::iterate_for(glib_iterate, duration);
}

// The IRunLoop of a GLib host: one GLib source per registration. Like Ardour's, it does not
// work with an eventfd; it says so here by refusing one (Ardour's simply never calls the
// handler), so a plugin that hands it one is left with its timer alone.
class GlibRunLoop : public vst3_test::Frame {
 public:
  ~GlibRunLoop() override {
    for (auto& [key, id] : sources_) g_source_remove(id);
  }
  Steinberg::tresult PLUGIN_API registerEventHandler(Steinberg::Linux::IEventHandler* handler,
                                                     int fd) override {
    if (runloop::test::is_eventfd(fd)) return Steinberg::kResultFalse;
    return Frame::registerEventHandler(handler, fd);
  }
  std::size_t sources() const { return sources_.size(); }
  bool all_removed_from_glib() const { return removed_ids_ok_; }

 protected:
  void on_fd_registered(const Handler& h) override {
    auto* handler = h.handler;
    sources_[handler] = g_unix_fd_add(
        h.fd, G_IO_IN,
        [](gint fd, GIOCondition, gpointer data) -> gboolean {
          static_cast<Steinberg::Linux::IEventHandler*>(data)->onFDIsSet(fd);
          return G_SOURCE_CONTINUE;
        },
        handler);
  }
  void on_fd_unregistered(const Handler& h) override { remove(h.handler); }
  void on_timer_registered(const HostTimer& t) override {
    sources_[t.handler] = g_timeout_add(
        static_cast<guint>(t.period.count()),
        [](gpointer data) -> gboolean {
          static_cast<Steinberg::Linux::ITimerHandler*>(data)->onTimer();
          return G_SOURCE_CONTINUE;
        },
        t.handler);
  }
  void on_timer_unregistered(const HostTimer& t) override { remove(t.handler); }

 private:
  void remove(void* key) {
    const auto it = sources_.find(key);
    if (it == sources_.end()) return;
    const guint id = it->second;
    g_source_remove(id);
    if (g_main_context_find_source_by_id(nullptr, id) != nullptr) removed_ids_ok_ = false;
    sources_.erase(it);
  }

  // Keyed by the handler's interface pointer: the event and timer interfaces of one object
  // are distinct pointers.
  std::map<void*, guint> sources_;
  bool removed_ids_ok_ = true;
};

class GlibHost : public ::testing::Test {
 protected:
  // The host's own periodic work; it also bounds every blocking iteration.
  void SetUp() override {
    heartbeat_ = g_timeout_add(
        5, [](gpointer) -> gboolean { return G_SOURCE_CONTINUE; }, nullptr);
    fds_before_ = runloop::test::open_fds();
  }
  void TearDown() override { g_source_remove(heartbeat_); }

  guint heartbeat_ = 0;
  std::size_t fds_before_ = 0;
};

TEST_F(GlibHost, Vst3RunLoopOnGlibDrivesAHostDrivenPlugin) {
  vst3_test::Module module(VST3_PLUGIN_PATH);
  ASSERT_TRUE(module.loaded());
  void* controller = module.create_controller(/*host_driven=*/true, /*start_work=*/true);
  ASSERT_NE(controller, nullptr);
  GlibRunLoop frame;
  for (int round = 0; round < 2; ++round) {
    module.queue_work(controller, 10);
    {
      vst3_test::Editor editor(module, controller, frame);
      EXPECT_EQ(frame.sources(), 2u) << "one fd source and one timer source";
      const TestProgress before = module.progress(controller);
      EXPECT_TRUE(glib_iterate_until([&] {
        const TestProgress now = module.progress(controller);
        return now.queued_run >= before.queued_run + 11 && now.ticks >= before.ticks + 3 &&
               now.sends_run >= before.sends_run + 10 && now.task_steps >= before.task_steps + 2;
      }));
    }
    EXPECT_EQ(frame.sources(), 0u);
    EXPECT_TRUE(frame.all_removed_from_glib());
    // With the editor closed nothing of the plugin is in GLib's context any more.
    const TestProgress closed = module.progress(controller);
    glib_iterate_for(20ms);
    EXPECT_EQ(module.progress(controller).ticks, closed.ticks);
  }
  const TestProgress progress = module.progress(controller);
  EXPECT_EQ(progress.early, 0u);
  EXPECT_EQ(progress.wrong_thread, 0u);
  EXPECT_EQ(module.module_progress().diagnoses, 0u);
  module.destroy_controller(controller);
  module.unload();
  EXPECT_FALSE(vst3_test::is_mapped(VST3_PLUGIN_PATH));
  EXPECT_EQ(runloop::test::open_fds(), fds_before_);
}

// The refusal above is what makes the test before it fail with an eventfd.
TEST_F(GlibHost, TheArdourStyleRunLoopRefusesAnEventfdAndTakesAPipe) {
  struct NullHandler : Steinberg::Linux::IEventHandler {
    Steinberg::tresult PLUGIN_API queryInterface(const Steinberg::TUID, void**) override {
      return Steinberg::kNoInterface;
    }
    Steinberg::uint32 PLUGIN_API addRef() override { return 2; }
    Steinberg::uint32 PLUGIN_API release() override { return 1; }
    void PLUGIN_API onFDIsSet(Steinberg::Linux::FileDescriptor) override {}
  } handler;
  GlibRunLoop frame;
  const int event = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  ASSERT_GE(event, 0);
  EXPECT_NE(frame.registerEventHandler(&handler, event), Steinberg::kResultOk);
  EXPECT_EQ(frame.sources(), 0u);
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK), 0);
  EXPECT_EQ(frame.registerEventHandler(&handler, pipe_fds[0]), Steinberg::kResultOk);
  EXPECT_EQ(frame.sources(), 1u);
  EXPECT_EQ(frame.unregisterEventHandler(&handler), Steinberg::kResultOk);
  close(event);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST_F(GlibHost, ClapHostOfferingNothingLeavesThePluginOnGlib) {
  clap_test::Module module(CLAP_PLUGIN_A_PATH);
  ASSERT_TRUE(module.loaded());
  {
    clap_test::Instance instance(module, clap_test::Offer{.posix_fd = false, .timers = false});
    ASSERT_TRUE(instance.plugin());
    EXPECT_EQ(module.driver(instance.plugin()), 3);  // Driver::native
    EXPECT_TRUE(instance.fds().empty() && instance.timers().empty());
    EXPECT_TRUE(glib_iterate_until(
        [&] { return clap_test::progressed(module.progress(instance.plugin()), {}); }));
    EXPECT_EQ(module.progress(instance.plugin()).wrong_thread, 0u);
  }
  module.unload();
  EXPECT_FALSE(clap_test::is_mapped(CLAP_PLUGIN_A_PATH));
  EXPECT_EQ(runloop::test::open_fds(), fds_before_);
}

}  // namespace
