// A complete, minimal CLAP plugin that uses runloop on its main thread through
// <runloop/clap.hpp>. Copy the marked lines into your plugin:
//   (1) an Attachment per instance,  (2) attach() in init(),  (3) detach() in destroy(),
//   (4) the ready-made extensions in get_extension().
// In a host that hands plugins a descriptor (clap.posix-fd-support) or a timer
// (clap.timer-support) the loop is host-driven; in one that offers neither it stays on
// GLib's main context. Either way the code below is the same.
//
// Built here against the minimal CLAP declarations of tests/host_driven/sdk; a real plugin
// includes the real <clap/clap.h>.
#include <clap/clap.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <new>
#include <optional>
#include <thread>

#include <runloop/clap.hpp>
#include <runloop/runloop.hpp>

using namespace std::chrono_literals;

namespace {

struct Plugin {
  clap_plugin_t plugin{};
  const clap_host_t* host = nullptr;
  runloop::clap::Attachment loop;  // (1)

  std::atomic<float> peak{0};             // written by the audio thread
  float shown_peak = 0;                   // main thread: what the GUI would draw
  std::optional<runloop::Timer> refresh;  // main thread: redraws at ~30 Hz
  std::thread loader;                     // a background job reporting to the main thread
  bool loaded = false;                    // main thread
};

Plugin* self(const clap_plugin_t* plugin) {
  return static_cast<Plugin*>(plugin->plugin_data);
}

bool init(const clap_plugin_t* plugin) {
  Plugin* p = self(plugin);
  if (!p->loop.attach(p->host)) return false;  // (2) main thread, before any other runloop use
  p->refresh.emplace(33ms, [p] { p->shown_peak = p->peak.load(std::memory_order_relaxed); });
  p->refresh->start();
  // Work on another thread, its result handed to the main thread.
  p->loader = std::thread([p, sender = runloop::RunLoop::sender()] {
    std::this_thread::sleep_for(20ms);  // stands for loading a sample or a preset
    sender.send([p] { p->loaded = true; });
  });
  return true;
}

void destroy(const clap_plugin_t* plugin) {
  Plugin* p = self(plugin);
  if (p->loader.joinable()) p->loader.join();
  p->refresh.reset();  // our own loop work first...
  p->loop.detach();    // (3) ...then unregister from the host and release the loop
  delete p;
}

bool activate(const clap_plugin_t*, double, uint32_t, uint32_t) {
  return true;
}
void deactivate(const clap_plugin_t*) {}
bool start_processing(const clap_plugin_t*) {
  return true;
}
void stop_processing(const clap_plugin_t*) {}
void reset(const clap_plugin_t*) {}
clap_process_status process(const clap_plugin_t* plugin, const clap_process_t*) {
  // Audio thread: nothing of runloop here, only the atomic the main thread reads.
  self(plugin)->peak.store(0.5F, std::memory_order_relaxed);
  return 0;
}
const void* get_extension(const clap_plugin_t*, const char* id) {
  return runloop::clap::extension(id);  // (4) posix-fd-support and timer-support
}
void on_main_thread(const clap_plugin_t*) {}

const char* const kFeatures[] = {"audio-effect", "analyzer", nullptr};
const clap_plugin_descriptor_t kDescriptor = {
    CLAP_VERSION_INIT,
    "org.runloop.example.meter",
    "runloop example meter",
    "runloop",
    "",
    "",
    "",
    "0.1",
    "A meter whose GUI state refreshes on the host's main thread",
    kFeatures};

uint32_t plugin_count(const clap_plugin_factory_t*) {
  return 1;
}
const clap_plugin_descriptor_t* plugin_descriptor(const clap_plugin_factory_t*, uint32_t index) {
  return index == 0 ? &kDescriptor : nullptr;
}
const clap_plugin_t* create_plugin(const clap_plugin_factory_t*, const clap_host_t* host,
                                   const char* id) {
  if (std::strcmp(id, kDescriptor.id) != 0) return nullptr;
  auto* p = new (std::nothrow) Plugin;
  if (p == nullptr) return nullptr;
  p->host = host;
  p->plugin = {
      &kDescriptor,    p,     init,    destroy,       activate,      deactivate, start_processing,
      stop_processing, reset, process, get_extension, on_main_thread};
  return &p->plugin;
}
const clap_plugin_factory_t kFactory = {plugin_count, plugin_descriptor, create_plugin};

bool entry_init(const char*) {
  return true;
}
void entry_deinit() {}
const void* entry_factory(const char* id) {
  return std::strcmp(id, CLAP_PLUGIN_FACTORY_ID) == 0 ? &kFactory : nullptr;
}

}  // namespace

extern "C" CLAP_EXPORT const clap_plugin_entry_t clap_entry = {CLAP_VERSION_INIT, entry_init,
                                                               entry_deinit, entry_factory};
