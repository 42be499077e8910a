// The plugin proof: two DLLs, each embedding its own copy of the static library, share the
// host's thread and message pump; one unloads with work pending, the other keeps running,
// and the first loads again. The host (this executable) runs its own loop as well.
#include <gtest/gtest.h>

#include <string>

#include "plugin/runloop_test_plugin.h"
#include "test_support.hpp"
#include "win32_test_util.hpp"

namespace runloop::test {
namespace {

std::wstring directory_of_this_executable() {
  wchar_t path[MAX_PATH] = {};
  const DWORD length = GetModuleFileNameW(nullptr, path, MAX_PATH);
  std::wstring text(path, length);
  return text.substr(0, text.find_last_of(L"\\/") + 1);
}

// One loaded plugin DLL and its C entry points.
class Plugin {
 public:
  explicit Plugin(const wchar_t* file) : file_(file) {
    module_ = LoadLibraryW((directory_of_this_executable() + file).c_str());
    if (module_ == nullptr) return;
    start_ = entry<RunloopTestPluginStart>("runloop_test_plugin_start");
    send_more_ = entry<RunloopTestPluginSendMore>("runloop_test_plugin_send_more");
    progress_ = entry<RunloopTestPluginProgressFn>("runloop_test_plugin_progress");
    leave_pending_ =
        entry<RunloopTestPluginLeavePendingWork>("runloop_test_plugin_leave_pending_work");
    stop_ = entry<RunloopTestPluginStop>("runloop_test_plugin_stop");
  }
  ~Plugin() { unload(); }

  bool loaded() const {
    return module_ != nullptr && start_ && send_more_ && progress_ && leave_pending_ && stop_;
  }
  HMODULE module() const { return module_; }
  int start(int sends) const { return start_(sends); }
  void send_more(int sends) const { send_more_(sends); }
  void leave_pending_work() const { leave_pending_(); }
  void stop() const { stop_(); }
  RunloopTestPluginProgress progress() const {
    RunloopTestPluginProgress out{};
    progress_(&out);
    return out;
  }
  bool caught_up(int min_ticks) const {
    const auto p = progress();
    return p.timer_fired == 1 && p.ticks >= min_ticks && p.remote == p.remote_expected;
  }
  void unload() {
    if (module_ != nullptr) FreeLibrary(module_);
    module_ = nullptr;
  }

 private:
  template <class F>
  F entry(const char* name) const {
    return reinterpret_cast<F>(reinterpret_cast<void*>(GetProcAddress(module_, name)));
  }

  const wchar_t* file_;
  HMODULE module_ = nullptr;
  RunloopTestPluginStart start_ = nullptr;
  RunloopTestPluginSendMore send_more_ = nullptr;
  RunloopTestPluginProgressFn progress_ = nullptr;
  RunloopTestPluginLeavePendingWork leave_pending_ = nullptr;
  RunloopTestPluginStop stop_ = nullptr;
};

HWND single_window_of(HMODULE module) {
  const auto windows = runloop_windows_of(module);
  return windows.size() == 1 ? windows.front() : nullptr;
}

TEST(Win32Plugins, TwoDllsShareTheHostPumpAndOneUnloadsCleanly) {
  LoopFixture host_loop;  // the host's own copy of runloop, a third one in the process
  int host_ticks = 0;
  Timer host_timer(3ms, [&] { ++host_ticks; });
  host_timer.start();

  auto a = std::make_unique<Plugin>(L"runloop_plugin_a.dll");
  Plugin b(L"runloop_plugin_b.dll");
  ASSERT_TRUE(a->loaded());
  ASSERT_TRUE(b.loaded());
  ASSERT_NE(a->module(), b.module());
  ASSERT_EQ(a->start(1000), 0);
  ASSERT_EQ(b.start(1000), 0);

  // Each plugin's window class is registered with the plugin's own HMODULE.
  HWND window_a = single_window_of(a->module());
  HWND window_b = single_window_of(b.module());
  ASSERT_NE(window_a, nullptr);
  ASSERT_NE(window_b, nullptr);
  const std::wstring class_a = class_name_of(window_a);
  EXPECT_NE(class_a, class_name_of(window_b));

  // Only the host's pump drives them: no run() anywhere.
  ASSERT_TRUE(
      host_pump_until([&] { return a->caught_up(3) && b.caught_up(3) && host_ticks >= 3; }));

  // A leaves work behind, shuts down and is unloaded.
  a->leave_pending_work();
  MSG queued;
  EXPECT_TRUE(PeekMessageW(&queued, window_a, 0, 0, PM_NOREMOVE)) << "A's wake-up is not queued";
  a->stop();
  const auto last_a = a->progress();
  EXPECT_EQ(last_a.pending_destroyed, 2);
  EXPECT_EQ(last_a.pending_ran, 0);
  EXPECT_FALSE(class_registered(a->module(), class_a)) << "A's window class outlived deinit";
  EXPECT_TRUE(runloop_windows_of(a->module()).empty());
  a.reset();
  EXPECT_EQ(GetModuleHandleW(L"runloop_plugin_a.dll"), nullptr) << "A was not unloaded";

  // B, and the host, keep running; the host's pump meets nothing of A's.
  const int b_ticks = b.progress().ticks;
  const int ticks_then = host_ticks;
  b.send_more(500);
  EXPECT_TRUE(
      host_pump_until([&] { return b.caught_up(b_ticks + 5) && host_ticks >= ticks_then + 5; }));

  // A loads again: its class was unregistered, so registering it again works.
  Plugin again(L"runloop_plugin_a.dll");
  ASSERT_TRUE(again.loaded());
  ASSERT_EQ(again.start(200), 0);
  EXPECT_NE(single_window_of(again.module()), nullptr);
  EXPECT_TRUE(host_pump_until([&] { return again.caught_up(3) && b.caught_up(3); }));
  again.stop();
  again.unload();
  EXPECT_EQ(GetModuleHandleW(L"runloop_plugin_a.dll"), nullptr);

  b.stop();
  EXPECT_TRUE(runloop_windows_of(b.module()).empty());
  b.unload();
  EXPECT_EQ(GetModuleHandleW(L"runloop_plugin_b.dll"), nullptr);
  host_pump_for(20ms);  // stale messages of the unloaded plugins are harmless
}

}  // namespace
}  // namespace runloop::test
