#pragma once

// A CLAP host for the tests, shaped like the ones that never iterate GLib: it loads plugin
// modules with dlopen, offers clap.posix-fd-support and/or clap.timer-support, and its main
// loop is poll() over the descriptors its plugins registered plus its own timer list, on the
// test's thread. It knows the plugins only through the CLAP ABI (sdk/clap/clap.h) and the
// test probes (test_plugin_api.h).
#include <clap/clap.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "test_host.hpp"
#include "test_plugin_api.h"

namespace clap_test {

using test_host::Clock;
using test_host::is_mapped;
using namespace std::chrono_literals;

// One plugin module (.clap) and its entry point.
class Module {
 public:
  explicit Module(const char* path) : path_(path), library_(path) {
    if (!library_.open()) return;
    entry_ = library_.symbol<const clap_plugin_entry_t*>("clap_entry");
    if (entry_ == nullptr || !entry_->init(path)) {
      ADD_FAILURE() << "no usable clap_entry in " << path;
      entry_ = nullptr;
      return;
    }
    factory_ =
        static_cast<const clap_plugin_factory_t*>(entry_->get_factory(CLAP_PLUGIN_FACTORY_ID));
    progress_ = library_.symbol<decltype(progress_)>("test_clap_progress");
    module_progress_ = library_.symbol<decltype(module_progress_)>("test_clap_module_progress");
    driver_ = library_.symbol<decltype(driver_)>("test_clap_driver");
    leave_pending_ = library_.symbol<decltype(leave_pending_)>("test_clap_leave_pending_work");
  }
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  ~Module() { unload(); }

  bool loaded() const { return factory_ != nullptr; }
  bool has_probes() const { return progress_ != nullptr; }
  const char* path() const { return path_; }
  const clap_plugin_factory_t* factory() const { return factory_; }
  // clap_entry.deinit(), then dlclose.
  void unload() {
    if (entry_ != nullptr) entry_->deinit();
    entry_ = nullptr;
    factory_ = nullptr;
    library_.close();
  }

  TestProgress progress(const clap_plugin_t* plugin) const {
    TestProgress out{};
    progress_(plugin, &out);
    return out;
  }
  TestModuleProgress module_progress() const {
    TestModuleProgress out{};
    module_progress_(&out);
    return out;
  }
  int driver(const clap_plugin_t* plugin) const { return driver_(plugin); }
  int leave_pending_work(unsigned burst) const { return leave_pending_(burst); }

 private:
  const char* path_;
  test_host::Library library_;
  const clap_plugin_entry_t* entry_ = nullptr;
  const clap_plugin_factory_t* factory_ = nullptr;
  void (*progress_)(const clap_plugin_t*, TestProgress*) = nullptr;
  void (*module_progress_)(TestModuleProgress*) = nullptr;
  int (*driver_)(const clap_plugin_t*) = nullptr;
  int (*leave_pending_)(unsigned) = nullptr;
};

// What a host offers its plugins.
struct Offer {
  bool posix_fd = true;
  bool timers = true;
  bool refuse_fds = false;  // register_fd() fails
};

// The host side of one plugin instance: its clap_host_t and what the plugin registered.
class Instance {
 public:
  struct Fd {
    int fd;
    clap_posix_fd_flags_t flags;
  };
  struct HostTimer : test_host::TimerSchedule {
    clap_id id;
  };

  Instance(const Module& module, Offer offer) : offer_(offer) {
    host_.host_data = this;
    const clap_plugin_descriptor_t* descriptor =
        module.factory()->get_plugin_descriptor(module.factory(), 0);
    plugin_ = module.factory()->create_plugin(module.factory(), &host_, descriptor->id);
    if (plugin_ == nullptr || !plugin_->init(plugin_)) {
      ADD_FAILURE() << "the plugin did not initialise";
      if (plugin_ != nullptr) plugin_->destroy(plugin_);
      plugin_ = nullptr;
    }
  }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;
  ~Instance() { destroy(); }

  const clap_plugin_t* plugin() const { return plugin_; }
  void destroy() {
    if (plugin_ != nullptr) plugin_->destroy(plugin_);
    plugin_ = nullptr;
  }

  const std::vector<Fd>& fds() const { return fds_; }
  const std::vector<HostTimer>& timers() const { return timers_; }
  std::vector<HostTimer>& timers() { return timers_; }
  int fd_calls = 0;     // on_fd calls made
  int timer_calls = 0;  // on_timer calls made

 private:
  static Instance& of(const clap_host_t* host) { return *static_cast<Instance*>(host->host_data); }

  static const void* get_extension(const clap_host_t* host, const char* id) {
    const Offer offer = of(host).offer_;
    if (offer.posix_fd && std::string(id) == CLAP_EXT_POSIX_FD_SUPPORT) return &kFdSupport;
    if (offer.timers && std::string(id) == CLAP_EXT_TIMER_SUPPORT) return &kTimerSupport;
    return nullptr;
  }
  static void request(const clap_host_t*) {}

  static bool register_fd(const clap_host_t* host, int fd, clap_posix_fd_flags_t flags) {
    Instance& self = of(host);
    if (self.offer_.refuse_fds) return false;
    // A host keyed by descriptor refuses a second registration of the same one.
    for (const Fd& known : self.fds_) {
      if (known.fd == fd) return false;
    }
    self.fds_.push_back({fd, flags});
    return true;
  }
  static bool modify_fd(const clap_host_t* host, int fd, clap_posix_fd_flags_t flags) {
    for (Fd& known : of(host).fds_) {
      if (known.fd == fd) {
        known.flags = flags;
        return true;
      }
    }
    return false;
  }
  static bool unregister_fd(const clap_host_t* host, int fd) {
    auto& fds = of(host).fds_;
    const auto before = fds.size();
    std::erase_if(fds, [fd](const Fd& known) { return known.fd == fd; });
    return fds.size() != before;
  }
  static bool register_timer(const clap_host_t* host, uint32_t period_ms, clap_id* id) {
    Instance& self = of(host);
    // Like hosts that allow no more than ~30 Hz.
    const auto period = std::chrono::milliseconds(std::max<uint32_t>(period_ms, 30));
    *id = self.next_timer_id_++;
    self.timers_.push_back({{period, Clock::now() + period}, *id});
    return true;
  }
  static bool unregister_timer(const clap_host_t* host, clap_id id) {
    auto& timers = of(host).timers_;
    const auto before = timers.size();
    std::erase_if(timers, [id](const HostTimer& timer) { return timer.id == id; });
    return timers.size() != before;
  }

  static constexpr clap_host_posix_fd_support_t kFdSupport = {register_fd, modify_fd,
                                                              unregister_fd};
  static constexpr clap_host_timer_support_t kTimerSupport = {register_timer, unregister_timer};

  Offer offer_;
  clap_host_t host_{
      CLAP_VERSION_INIT, nullptr, "runloop test host", "runloop", "", "0.1", get_extension, request,
      request,           request};
  const clap_plugin_t* plugin_ = nullptr;
  std::vector<Fd> fds_;
  std::vector<HostTimer> timers_;
  clap_id next_timer_id_ = 7;
};

// The host's main loop: poll() over every instance's descriptors, bounded by its timers.
class MainLoop {
 public:
  void add(Instance& instance) { instances_.push_back(&instance); }
  void remove(Instance& instance) { std::erase(instances_, &instance); }

  // One iteration: sleeps at most `max_wait`.
  void iterate(std::chrono::milliseconds max_wait = 5ms) {
    std::vector<pollfd> polled;
    std::vector<Instance*> owners;
    Clock::time_point wake = Clock::now() + max_wait;
    for (Instance* instance : instances_) {
      for (const Instance::Fd& fd : instance->fds()) {
        polled.push_back({fd.fd, POLLIN, 0});
        owners.push_back(instance);
      }
      for (const Instance::HostTimer& timer : instance->timers()) wake = std::min(wake, timer.next);
    }
    test_host::poll_until(polled, wake);
    for (std::size_t i = 0; i < polled.size(); ++i) {
      if ((polled[i].revents & (POLLIN | POLLERR | POLLHUP)) == 0) continue;
      const clap_plugin_t* plugin = owners[i]->plugin();
      const auto* ext = static_cast<const clap_plugin_posix_fd_support_t*>(
          plugin->get_extension(plugin, CLAP_EXT_POSIX_FD_SUPPORT));
      ASSERT_NE(ext, nullptr) << "registered a descriptor but has no posix-fd-support";
      ++owners[i]->fd_calls;
      ext->on_fd(plugin, polled[i].fd, CLAP_POSIX_FD_READ);
    }
    const auto now = Clock::now();
    for (Instance* instance : instances_) {
      for (Instance::HostTimer& timer : instance->timers()) {
        if (!timer.take_due(now)) continue;
        const clap_plugin_t* plugin = instance->plugin();
        const auto* ext = static_cast<const clap_plugin_timer_support_t*>(
            plugin->get_extension(plugin, CLAP_EXT_TIMER_SUPPORT));
        ASSERT_NE(ext, nullptr) << "registered a timer but has no timer-support";
        ++instance->timer_calls;
        ext->on_timer(plugin, timer.id);
      }
    }
  }

  bool iterate_until(const std::function<bool()>& done) {
    return test_host::iterate_until([this] { iterate(); }, done);
  }

 private:
  std::vector<Instance*> instances_;
};

// Whether `plugin` has made progress on every kind of work beyond `since`.
inline bool progressed(const TestProgress& now, const TestProgress& since) {
  return now.one_shots >= 1 && now.ticks >= since.ticks + 3 &&
         now.sends_run >= since.sends_run + 10 && now.task_steps >= since.task_steps + 2;
}

}  // namespace clap_test
