// The plugin pattern: the host owns the main loop (here a GMainLoop, as a GTK-based DAW's);
// the plugin attaches to it with init() and never calls run(). Its timers and the sends of
// its worker thread run on the host's main thread because the host iterates the loop.
#include <glib.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

#include <runloop/runloop.hpp>

using namespace std::chrono_literals;

// ---- The plugin: what a CLAP/VST3 plugin's main-thread entry points would do ----
class Plugin {
 public:
  // Host's main thread (CLAP init(), VST3 initialize()).
  bool activate() {
    if (!runloop::RunLoop::init()) return false;  // attaches to the host's loop; no run()
    meter_.emplace(100ms, [] { std::puts("plugin: meter refresh (main thread)"); });
    meter_->start();
    worker_ = std::thread([sender = runloop::RunLoop::sender()] {  // e.g. a loader thread
      for (int i = 1; i <= 3; ++i) {
        std::this_thread::sleep_for(120ms);
        sender.send([i] { std::printf("plugin: preset %d applied (main thread)\n", i); });
      }
    });
    return true;
  }

  // Host's main thread, before the plugin is unloaded (CLAP destroy(), VST3 terminate()).
  void deactivate() {
    worker_.join();
    meter_.reset();
    runloop::RunLoop::deinit();  // nothing of ours is left in the host's loop afterwards
  }

 private:
  std::optional<runloop::Timer> meter_;
  std::thread worker_;
};

// ---- The host ----
int main() {
  GMainLoop* main_loop = g_main_loop_new(nullptr, FALSE);  // the default context
  Plugin plugin;
  if (!plugin.activate()) return 1;
  g_timeout_add(
      500,
      [](gpointer loop) -> gboolean {
        std::puts("host: quitting its main loop");
        g_main_loop_quit(static_cast<GMainLoop*>(loop));
        return G_SOURCE_REMOVE;
      },
      main_loop);
  g_main_loop_run(main_loop);
  plugin.deactivate();
  g_main_loop_unref(main_loop);
  std::puts("host: plugin deactivated, done");
}
