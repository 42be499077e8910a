// A CLAP plugin module for the host-driven test hosts (built twice: clap_plugin_a and _b),
// with its own static copy of runloop, integrated through <runloop/clap.hpp> exactly as the
// adapter's documentation says. Besides clap_entry it exports the test_clap_* probes.
#include <clap/clap.h>

#include <cstring>
#include <new>

#include "runloop/clap.hpp"
#include "test_plugin_api.h"
#include "test_plugin_work.hpp"

#ifndef PLUGIN_NAME
#error "PLUGIN_NAME must name the module"
#endif

#define PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

struct Instance {
  clap_plugin_t plugin{};
  const clap_host_t* host = nullptr;
  runloop::clap::Attachment loop;
  test_plugin::Workload work;
};

Instance* self(const clap_plugin_t* plugin) {
  return static_cast<Instance*>(plugin->plugin_data);
}

const char* const kFeatures[] = {"utility", nullptr};
const clap_plugin_descriptor_t kDescriptor = {CLAP_VERSION_INIT,
                                              "org.runloop.test." PLUGIN_NAME,
                                              "runloop test " PLUGIN_NAME,
                                              "runloop",
                                              "",
                                              "",
                                              "",
                                              "0.1",
                                              "host-driven test",
                                              kFeatures};

bool plugin_init(const clap_plugin_t* plugin) {
  Instance* instance = self(plugin);
  if (!instance->loop.attach(instance->host)) return false;
  try {
    instance->work.start();
  } catch (...) {
    instance->loop.detach();
    return false;
  }
  return true;
}

void plugin_destroy(const clap_plugin_t* plugin) {
  Instance* instance = self(plugin);
  // Our own work first, then unregister from the host and release the loop.
  instance->work.stop();
  instance->loop.detach();
  delete instance;
}

bool plugin_activate(const clap_plugin_t*, double, uint32_t, uint32_t) {
  return true;
}
void plugin_deactivate(const clap_plugin_t*) {}
bool plugin_start_processing(const clap_plugin_t*) {
  return true;
}
void plugin_stop_processing(const clap_plugin_t*) {}
void plugin_reset(const clap_plugin_t*) {}
clap_process_status plugin_process(const clap_plugin_t*, const clap_process_t*) {
  return 0;
}
const void* plugin_get_extension(const clap_plugin_t*, const char* id) {
  return runloop::clap::extension(id);
}
void plugin_on_main_thread(const clap_plugin_t*) {}

uint32_t factory_count(const clap_plugin_factory_t*) {
  return 1;
}
const clap_plugin_descriptor_t* factory_descriptor(const clap_plugin_factory_t*, uint32_t index) {
  return index == 0 ? &kDescriptor : nullptr;
}
const clap_plugin_t* factory_create(const clap_plugin_factory_t*, const clap_host_t* host,
                                    const char* id) {
  if (std::strcmp(id, kDescriptor.id) != 0) return nullptr;
  auto* instance = new (std::nothrow) Instance;
  if (instance == nullptr) return nullptr;
  instance->host = host;
  instance->plugin = {&kDescriptor,
                      instance,
                      plugin_init,
                      plugin_destroy,
                      plugin_activate,
                      plugin_deactivate,
                      plugin_start_processing,
                      plugin_stop_processing,
                      plugin_reset,
                      plugin_process,
                      plugin_get_extension,
                      plugin_on_main_thread};
  return &instance->plugin;
}
const clap_plugin_factory_t kFactory = {factory_count, factory_descriptor, factory_create};

bool entry_init(const char*) {
  test_plugin::count_diagnoses();
  return true;
}
void entry_deinit() {
  runloop::set_diagnostic_handler(nullptr);
}
const void* entry_get_factory(const char* id) {
  return std::strcmp(id, CLAP_PLUGIN_FACTORY_ID) == 0 ? &kFactory : nullptr;
}

}  // namespace

PLUGIN_EXPORT const clap_plugin_entry_t clap_entry = {CLAP_VERSION_INIT, entry_init, entry_deinit,
                                                      entry_get_factory};

PLUGIN_EXPORT void test_clap_progress(const clap_plugin_t* plugin, TestProgress* out) {
  self(plugin)->work.counters().fill(out);
}

PLUGIN_EXPORT void test_clap_module_progress(TestModuleProgress* out) {
  test_plugin::fill_module(out);
}

// The runloop::clap::Driver that attach() chose.
PLUGIN_EXPORT int test_clap_driver(const clap_plugin_t* plugin) {
  return static_cast<int>(self(plugin)->loop.driver());
}

// Leaves tracked work pending on the module's loop; returns how many items.
PLUGIN_EXPORT int test_clap_leave_pending_work(unsigned burst) {
  try {
    return static_cast<int>(test_plugin::Workload::leave_pending(burst));
  } catch (...) {
    return -1;
  }
}
