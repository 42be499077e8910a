#pragma once

// The host side of the VST3 tests: the plugin module loader and an IPlugFrame that also is
// the host's Steinberg::Linux::IRunLoop (hosts implement it on the frame they hand the view).
// Which loop runs the registrations is up to the subclass: a poll() loop, or GLib.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "pluginterfaces/gui/iplugview.h"
#include "test_host.hpp"
#include "test_plugin_api.h"

namespace vst3_test {

using test_host::Clock;
using test_host::is_mapped;
using namespace std::chrono_literals;
using namespace Steinberg;

// One plugin module: ModuleEntry() on load, ModuleExit() before dlclose.
class Module {
 public:
  explicit Module(const char* path) : library_(path) {
    if (!library_.open()) return;
    auto entry = library_.symbol<bool (*)(void*)>("ModuleEntry");
    exit_ = library_.symbol<bool (*)()>("ModuleExit");
    create_ = library_.symbol<decltype(create_)>("vst3_test_create_controller");
    destroy_ = library_.symbol<decltype(destroy_)>("vst3_test_destroy_controller");
    view_ = library_.symbol<decltype(view_)>("vst3_test_create_view");
    queue_ = library_.symbol<decltype(queue_)>("vst3_test_queue_work");
    progress_ = library_.symbol<decltype(progress_)>("vst3_test_progress");
    module_progress_ = library_.symbol<decltype(module_progress_)>("vst3_test_module_progress");
    if (entry == nullptr || exit_ == nullptr || !entry(library_.handle())) {
      ADD_FAILURE() << "no usable ModuleEntry in " << path;
      exit_ = nullptr;
    }
  }
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  ~Module() { unload(); }

  bool loaded() const { return exit_ != nullptr && progress_ != nullptr; }
  void unload() {
    if (exit_ != nullptr) exit_();
    exit_ = nullptr;
    library_.close();
  }

  void* create_controller(bool host_driven, bool start_work) const {
    return create_(host_driven ? 1 : 0, start_work ? 1 : 0);
  }
  void destroy_controller(void* controller) const { destroy_(controller); }
  IPlugView* create_view(void* controller) const { return view_(controller); }
  void queue_work(void* controller, unsigned n) const { queue_(controller, n); }
  TestProgress progress(void* controller) const {
    TestProgress out{};
    progress_(controller, &out);
    return out;
  }
  TestModuleProgress module_progress() const {
    TestModuleProgress out{};
    module_progress_(&out);
    return out;
  }

 private:
  test_host::Library library_;
  bool (*exit_)() = nullptr;
  void* (*create_)(int, int) = nullptr;
  void (*destroy_)(void*) = nullptr;
  IPlugView* (*view_)(void*) = nullptr;
  void (*queue_)(void*, unsigned) = nullptr;
  void (*progress_)(void*, TestProgress*) = nullptr;
  void (*module_progress_)(TestModuleProgress*) = nullptr;
};

// The frame the host hands a view, and its IRunLoop. Lives on the test's stack; counts
// references only to check that the plugin gives back what it takes.
class Frame : public IPlugFrame, public Linux::IRunLoop {
 public:
  struct Handler {
    Linux::IEventHandler* handler;
    int fd;
  };
  struct HostTimer : test_host::TimerSchedule {
    Linux::ITimerHandler* handler;
  };

  virtual ~Frame() = default;

  tresult PLUGIN_API queryInterface(const TUID iid, void** object) override {
    if (FUnknownPrivate::iidEqual(iid, FUnknown_iid) ||
        FUnknownPrivate::iidEqual(iid, IPlugFrame_iid)) {
      *object = static_cast<IPlugFrame*>(this);
    } else if (FUnknownPrivate::iidEqual(iid, Linux::IRunLoop_iid)) {
      *object = static_cast<Linux::IRunLoop*>(this);
    } else {
      *object = nullptr;
      return kNoInterface;
    }
    addRef();
    return kResultOk;
  }
  uint32 PLUGIN_API addRef() override { return ++refs_; }
  uint32 PLUGIN_API release() override { return --refs_; }
  tresult PLUGIN_API resizeView(IPlugView*, ViewRect*) override { return kResultOk; }

  tresult PLUGIN_API registerEventHandler(Linux::IEventHandler* handler, int fd) override {
    if (handler == nullptr) return kInvalidArgument;
    handler->addRef();  // as hosts do (Steinberg's own keeps an IPtr)
    handlers_.push_back({handler, fd});
    on_fd_registered(handlers_.back());
    return kResultOk;
  }
  tresult PLUGIN_API unregisterEventHandler(Linux::IEventHandler* handler) override {
    for (auto it = handlers_.begin(); it != handlers_.end(); ++it) {
      if (it->handler != handler) continue;
      on_fd_unregistered(*it);
      handlers_.erase(it);
      handler->release();
      return kResultOk;
    }
    return kInvalidArgument;
  }
  tresult PLUGIN_API registerTimer(Linux::ITimerHandler* handler,
                                   Linux::TimerInterval milliseconds) override {
    if (handler == nullptr || milliseconds == 0) return kInvalidArgument;
    handler->addRef();
    const auto period = std::chrono::milliseconds(milliseconds);
    timers_.push_back({{period, Clock::now() + period}, handler});
    on_timer_registered(timers_.back());
    return kResultOk;
  }
  tresult PLUGIN_API unregisterTimer(Linux::ITimerHandler* handler) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->handler != handler) continue;
      on_timer_unregistered(*it);
      timers_.erase(it);
      handler->release();
      return kResultOk;
    }
    return kInvalidArgument;
  }

  const std::vector<Handler>& handlers() const { return handlers_; }
  std::vector<HostTimer>& timers() { return timers_; }
  uint32 references() const { return refs_; }

 protected:
  virtual void on_fd_registered(const Handler&) {}
  virtual void on_fd_unregistered(const Handler&) {}
  virtual void on_timer_registered(const HostTimer&) {}
  virtual void on_timer_unregistered(const HostTimer&) {}

 private:
  uint32 refs_ = 1;
  std::vector<Handler> handlers_;
  std::vector<HostTimer> timers_;
};

// An open editor: a view of the plugin with `frame` set; closing it clears the frame and
// gives the view back, as a host closing the editor window does.
class Editor {
 public:
  Editor(const Module& module, void* controller, Frame& frame)
      : view_(module.create_view(controller)) {
    if (view_ == nullptr) {
      ADD_FAILURE() << "no view";
      return;
    }
    view_->attached(nullptr, kPlatformTypeX11EmbedWindowID);
    view_->setFrame(&frame);
  }
  Editor(const Editor&) = delete;
  Editor& operator=(const Editor&) = delete;
  ~Editor() { close(); }
  void close() {
    if (view_ == nullptr) return;
    view_->removed();
    view_->setFrame(nullptr);
    view_->release();
    view_ = nullptr;
  }

 private:
  IPlugView* view_;
};

}  // namespace vst3_test
