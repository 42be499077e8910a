// The plugin-safety proof: a host process that does not link runloop loads two plugin
// modules, each embedding its own static copy of the library, and drives GLib's default
// context itself as a DAW's GUI thread would (it never calls run()).
//
// B is loaded first with RTLD_GLOBAL, then A with RTLD_LOCAL: if any runloop symbol leaked
// out of B, A's references to it would bind to B's copy and the two would share one loop.
// A is the one unloaded: it must really be unmapped, and B must not notice.
#include <dlfcn.h>
#include <glib.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>

#include "host_drive.hpp"
#include "plugin_api.h"

namespace {

using namespace std::chrono_literals;
using runloop::test::drive_for;
using runloop::test::drive_until;

constexpr unsigned kBurst = 100;

bool is_mapped(const char* path) {
  void* handle = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);  // NOLOAD took a reference
  return true;
}

template <class Fn>
Fn symbol(void* handle, const char* name) {
  void* address = dlsym(handle, name);
  if (address == nullptr) ADD_FAILURE() << "missing symbol " << name << ": " << dlerror();
  return reinterpret_cast<Fn>(address);
}

// One loaded plugin module and its C API.
class Plugin {
 public:
  Plugin(const char* path, int mode) : path_(path) {
    handle_ = dlopen(path, RTLD_NOW | mode);
    if (handle_ == nullptr) {
      ADD_FAILURE() << "dlopen(" << path << "): " << dlerror();
      return;
    }
    name = symbol<PluginNameFn>(handle_, "plugin_name");
    init = symbol<PluginInitFn>(handle_, "plugin_init");
    is_initialized = symbol<PluginIsInitializedFn>(handle_, "plugin_is_initialized");
    start_work = symbol<PluginStartWorkFn>(handle_, "plugin_start_work");
    post_from_loop_thread =
        symbol<PluginPostFromLoopThreadFn>(handle_, "plugin_post_from_loop_thread");
    progress_fn_ = symbol<PluginProgressFn>(handle_, "plugin_progress");
    leave_pending_work_and_deinit =
        symbol<PluginLeavePendingWorkAndDeinitFn>(handle_, "plugin_leave_pending_work_and_deinit");
  }
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;
  ~Plugin() { close(); }

  bool loaded() const { return handle_ != nullptr && progress_fn_ != nullptr; }
  void close() {
    if (handle_ != nullptr) dlclose(handle_);
    handle_ = nullptr;
  }
  PluginProgress progress() const {
    PluginProgress out{};
    progress_fn_(&out);
    return out;
  }

  PluginNameFn name = nullptr;
  PluginInitFn init = nullptr;
  PluginIsInitializedFn is_initialized = nullptr;
  PluginStartWorkFn start_work = nullptr;
  PluginPostFromLoopThreadFn post_from_loop_thread = nullptr;
  PluginLeavePendingWorkAndDeinitFn leave_pending_work_and_deinit = nullptr;

 private:
  const char* path_;
  void* handle_ = nullptr;
  PluginProgressFn progress_fn_ = nullptr;
};

class PluginHost : public ::testing::Test {
 protected:
  // Waits until `plugin` has run its one-shot timers, some repeating ticks and some sends
  // beyond `since`.
  static bool makes_progress(const Plugin& plugin, const PluginProgress& since,
                             std::uint64_t one_shots = 1) {
    return drive_until([&] {
      const PluginProgress now = plugin.progress();
      return now.one_shot_fired >= since.one_shot_fired + one_shots &&
             now.timer_ticks >= since.timer_ticks + 3 && now.sends_run >= since.sends_run + 10 &&
             now.waits_answered >= since.waits_answered + 1 &&
             now.task_steps >= since.task_steps + 2;
    });
  }

  static void expect_left_pending_work_destroyed(Plugin& plugin) {
    const int pending = plugin.leave_pending_work_and_deinit(kBurst);
    ASSERT_EQ(pending, static_cast<int>(2 + 2 * kBurst));
    const PluginProgress after = plugin.progress();
    EXPECT_EQ(after.pending_destroyed, static_cast<std::uint64_t>(pending));
    EXPECT_EQ(after.pending_ran, 0u);
    EXPECT_GE(after.sends_refused, 1u) << "the worker's sender should close at deinit";
    EXPECT_EQ(plugin.is_initialized(), 0);
  }
};

TEST_F(PluginHost, EachModuleHasItsOwnLoopOnTheSameThread) {
  Plugin b(PLUGIN_B_PATH, RTLD_GLOBAL);
  Plugin a(PLUGIN_A_PATH, RTLD_LOCAL);
  ASSERT_TRUE(a.loaded() && b.loaded());
  EXPECT_STREQ(a.name(), "a");
  EXPECT_STREQ(b.name(), "b");

  ASSERT_EQ(a.init(), 0);
  // Shared state would show here: B would see A's loop.
  ASSERT_EQ(b.is_initialized(), 0) << "B sees the loop that A created";
  ASSERT_EQ(b.init(), 0) << "both modules must be able to own this thread's loop";
  EXPECT_EQ(a.is_initialized(), 1);
  EXPECT_EQ(b.is_initialized(), 1);

  ASSERT_EQ(a.start_work(), 0);
  ASSERT_EQ(b.start_work(), 0);
  EXPECT_TRUE(makes_progress(a, {}));
  EXPECT_TRUE(makes_progress(b, {}));
  EXPECT_EQ(a.progress().wrong_thread, 0u);
  EXPECT_EQ(b.progress().wrong_thread, 0u);

  // Independent counts: a second one-shot in A only.
  const PluginProgress b_before = b.progress();
  ASSERT_EQ(a.start_work(), 0);
  EXPECT_TRUE(drive_until([&] { return a.progress().one_shot_fired == 2; }));
  EXPECT_EQ(b.progress().one_shot_fired, b_before.one_shot_fired);

  // A's shutdown leaves B running.
  expect_left_pending_work_destroyed(a);
  EXPECT_EQ(b.is_initialized(), 1);
  EXPECT_TRUE(makes_progress(b, b.progress(), 0));
  expect_left_pending_work_destroyed(b);
}

TEST_F(PluginHost, AnUnloadedModuleLeavesNothingBehindAndTheOtherKeepsWorking) {
  Plugin b(PLUGIN_B_PATH, RTLD_GLOBAL);
  Plugin a(PLUGIN_A_PATH, RTLD_LOCAL);
  ASSERT_TRUE(a.loaded() && b.loaded());
  ASSERT_EQ(a.init(), 0);
  ASSERT_EQ(b.init(), 0);
  ASSERT_EQ(a.start_work(), 0);
  ASSERT_EQ(b.start_work(), 0);
  ASSERT_TRUE(makes_progress(a, {}));
  ASSERT_TRUE(makes_progress(b, {}));

  expect_left_pending_work_destroyed(a);
  // Nothing of A runs any more while the host keeps iterating.
  const PluginProgress a_after = a.progress();
  EXPECT_TRUE(makes_progress(b, b.progress(), 0));
  const PluginProgress a_later = a.progress();
  EXPECT_EQ(a_later.timer_ticks, a_after.timer_ticks);
  EXPECT_EQ(a_later.sends_run, a_after.sends_run);
  EXPECT_EQ(a_later.pending_ran, 0u);

  a.close();
  EXPECT_FALSE(is_mapped(PLUGIN_A_PATH))
      << "plugin_a.so is still mapped after dlclose (an STB_GNU_UNIQUE symbol, a leaked "
         "thread-local or a symbol bound by another module keeps it)";
  // Had A left a GSource, a timer or a wake-up in the context, iterating it now would call
  // into unmapped code. B's one-shot, ticks and sends go on.
  ASSERT_EQ(b.start_work(), 0);
  EXPECT_TRUE(makes_progress(b, b.progress()));
  EXPECT_EQ(b.progress().wrong_thread, 0u);
  expect_left_pending_work_destroyed(b);
  // The RTLD_GLOBAL module unloads too (an STB_GNU_UNIQUE symbol would pin this one: A binds
  // to B's definition of it).
  b.close();
  EXPECT_FALSE(is_mapped(PLUGIN_B_PATH));
}

TEST_F(PluginHost, AModuleCanBeLoadedAgainAfterUnloading) {
  Plugin b(PLUGIN_B_PATH, RTLD_GLOBAL);
  ASSERT_TRUE(b.loaded());
  ASSERT_EQ(b.init(), 0);
  ASSERT_EQ(b.start_work(), 0);
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("load number " + std::to_string(round + 1));
    Plugin a(PLUGIN_A_PATH, RTLD_LOCAL);
    ASSERT_TRUE(a.loaded());
    // Fresh static state proves the previous copy was unmapped and this one is new.
    EXPECT_EQ(a.progress().timer_ticks, 0u);
    ASSERT_EQ(a.init(), 0);
    ASSERT_EQ(a.start_work(), 0);
    EXPECT_TRUE(makes_progress(a, a.progress()));
    expect_left_pending_work_destroyed(a);
    a.close();
    EXPECT_FALSE(is_mapped(PLUGIN_A_PATH));
    drive_for(10ms);
  }
  EXPECT_TRUE(makes_progress(b, b.progress(), 0));
  expect_left_pending_work_destroyed(b);
  b.close();
  EXPECT_FALSE(is_mapped(PLUGIN_B_PATH));
}

// GLib holds a reference to every source of an iteration's dispatch list and drops it after
// the dispatch, reading source->source_funcs->finalize. A host that deinit()s and dlclose()s a
// module from a callback of its own, in an iteration where the module's source is pending
// too, must not make GLib read the unmapped module (with a static GSourceFuncs it did).
TEST_F(PluginHost, AModuleUnloadedWhileItsSourceIsPendingInTheSameIterationIsNeverTouched) {
  struct Unloader {
    Plugin* plugin = nullptr;
    bool armed = false;
    bool done = false;
  } unloader;
  // Same priority as the module's source and attached before it: dispatched first.
  GSource* host_source = g_idle_source_new();
  g_source_set_callback(
      host_source,
      [](gpointer data) -> gboolean {
        auto* self = static_cast<Unloader*>(data);
        if (!self->armed) return G_SOURCE_CONTINUE;
        self->plugin->leave_pending_work_and_deinit(5);
        self->plugin->close();
        self->done = true;
        return G_SOURCE_REMOVE;
      },
      &unloader, nullptr);
  g_source_attach(host_source, nullptr);

  Plugin a(PLUGIN_A_PATH, RTLD_LOCAL);
  ASSERT_TRUE(a.loaded());
  ASSERT_EQ(a.init(), 0);
  ASSERT_EQ(a.post_from_loop_thread(), 0);  // the module's source is ready in this iteration
  unloader.plugin = &a;
  unloader.armed = true;
  g_main_context_iteration(nullptr, FALSE);
  EXPECT_TRUE(unloader.done);
  EXPECT_FALSE(is_mapped(PLUGIN_A_PATH));
  drive_for(5ms);  // and nothing of it is left to run later
  g_source_destroy(host_source);
  g_source_unref(host_source);
}

}  // namespace
