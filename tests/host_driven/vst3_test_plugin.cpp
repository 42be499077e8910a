// A VST3-style plugin module for the host-driven test hosts, with its own static copy of
// runloop and an editor view integrated through <runloop/vst3.hpp>. It exports the real
// Linux module entry points (ModuleEntry / ModuleExit) and, instead of a full
// IPluginFactory + IEditController, small probes: create a "controller" (what initialize()
// and terminate() do with the loop), create its view, see its progress.
#include <atomic>
#include <new>

#include "pluginterfaces/gui/iplugview.h"
#include "runloop/vst3.hpp"
#include "test_plugin_api.h"
#include "test_plugin_work.hpp"

#define PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using namespace Steinberg;

// The editor: a view whose setFrame() hands the frame to the adapter.
class View final : public IPlugView {
 public:
  tresult PLUGIN_API queryInterface(const TUID iid, void** object) override {
    if (FUnknownPrivate::iidEqual(iid, FUnknown_iid) ||
        FUnknownPrivate::iidEqual(iid, IPlugView_iid)) {
      addRef();
      *object = static_cast<IPlugView*>(this);
      return kResultOk;
    }
    *object = nullptr;
    return kNoInterface;
  }
  uint32 PLUGIN_API addRef() override { return ++refs_; }
  uint32 PLUGIN_API release() override {
    const uint32 left = --refs_;
    if (left == 0) delete this;
    return left;
  }

  tresult PLUGIN_API isPlatformTypeSupported(FIDString) override { return kResultTrue; }
  tresult PLUGIN_API attached(void*, FIDString) override { return kResultOk; }
  tresult PLUGIN_API removed() override { return kResultOk; }
  tresult PLUGIN_API onWheel(float) override { return kResultFalse; }
  tresult PLUGIN_API onKeyDown(char16, int16, int16) override { return kResultFalse; }
  tresult PLUGIN_API onKeyUp(char16, int16, int16) override { return kResultFalse; }
  tresult PLUGIN_API getSize(ViewRect* size) override {
    *size = ViewRect(0, 0, 200, 100);
    return kResultOk;
  }
  tresult PLUGIN_API onSize(ViewRect*) override { return kResultOk; }
  tresult PLUGIN_API onFocus(TBool) override { return kResultOk; }
  tresult PLUGIN_API setFrame(IPlugFrame* frame) override {
    loop_.set_frame(frame);
    return kResultOk;
  }
  tresult PLUGIN_API canResize() override { return kResultFalse; }
  tresult PLUGIN_API checkSizeConstraint(ViewRect*) override { return kResultOk; }

 private:
  ~View() = default;
  std::atomic<uint32> refs_{1};
  runloop::vst3::FrameAttachment loop_;
};

struct Controller {
  test_plugin::Workload work;
};

}  // namespace

PLUGIN_EXPORT bool ModuleEntry(void*) {
  test_plugin::count_diagnoses();
  return true;
}

PLUGIN_EXPORT bool ModuleExit() {
  runloop::set_diagnostic_handler(nullptr);
  return true;
}

// initialize(): the loop (host-driven or native mode) and the controller's steady work;
// `start_work` = 0 leaves it idle. Null on failure.
PLUGIN_EXPORT void* vst3_test_create_controller(int host_driven, int start_work) {
  const auto initialised =
      host_driven != 0 ? runloop::RunLoop::init(runloop::host_driven) : runloop::RunLoop::init();
  if (!initialised) return nullptr;
  auto* controller = new (std::nothrow) Controller;
  try {
    if (controller != nullptr && start_work != 0) controller->work.start();
  } catch (...) {
    delete controller;
    controller = nullptr;
  }
  if (controller == nullptr) runloop::RunLoop::deinit();
  return controller;
}

// terminate(): every view is gone by now.
PLUGIN_EXPORT void vst3_test_destroy_controller(void* controller) {
  delete static_cast<Controller*>(controller);  // stops its work first
  runloop::RunLoop::deinit();
}

// createView(): the caller owns the one reference.
PLUGIN_EXPORT IPlugView* vst3_test_create_view(void*) {
  return new (std::nothrow) View;
}

PLUGIN_EXPORT void vst3_test_queue_work(void* controller, unsigned n) {
  static_cast<Controller*>(controller)->work.queue(n);
}

PLUGIN_EXPORT void vst3_test_progress(void* controller, TestProgress* out) {
  static_cast<Controller*>(controller)->work.counters().fill(out);
}

PLUGIN_EXPORT void vst3_test_module_progress(TestModuleProgress* out) {
  test_plugin::fill_module(out);
}
