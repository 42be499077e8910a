// What a VST3 plugin does to use runloop on Linux, through <runloop/vst3.hpp>: the loop
// lives from the edit controller's initialize() to its terminate(); each editor view hands
// its frame to a FrameAttachment in setFrame(), which registers the loop with the host's
// IRunLoop while the editor is open. Copy the marked lines:
//   (1) RunLoop::init() in initialize(),  (2) deinit() in terminate(),
//   (3) a FrameAttachment per view,       (4) set_frame() from setFrame().
//
// Only the parts that matter are shown: in a real plugin Controller derives from
// Steinberg::Vst::EditController and the factory comes from the SDK's BEGIN_FACTORY_DEF.
// Built here against the minimal declarations of tests/host_driven/sdk.
#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>

#include <runloop/runloop.hpp>
#include <runloop/vst3.hpp>
#include "pluginterfaces/gui/iplugview.h"

using namespace std::chrono_literals;
using namespace Steinberg;

namespace {

class Controller {  // your Vst::EditController
 public:
  tresult initialize() {  // EditController::initialize(FUnknown* context), main thread
    // (1) Native mode: hosts that iterate GLib run our work even with no editor open; the
    // others run it while an editor is open (through the IRunLoop), and it waits meanwhile.
    // RunLoop::init(runloop::host_driven) would never touch GLib instead.
    if (!runloop::RunLoop::init()) return kResultFalse;
    meter_.emplace(33ms, [this] { shown_level_ = level_.load(std::memory_order_relaxed); });
    meter_->start();
    return kResultOk;
  }
  tresult terminate() {  // EditController::terminate(), main thread, every editor gone
    meter_.reset();
    runloop::RunLoop::deinit();  // (2)
    return kResultOk;
  }
  void set_level(float level) { level_.store(level, std::memory_order_relaxed); }  // any thread

 private:
  std::atomic<float> level_{0};
  float shown_level_ = 0;  // main thread
  std::optional<runloop::Timer> meter_;
};

class Editor final : public IPlugView {
 public:
  tresult PLUGIN_API setFrame(IPlugFrame* frame) override {
    run_loop_.set_frame(frame);  // (4) joins frame's IRunLoop; nullptr leaves it
    return kResultOk;
  }

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
  tresult PLUGIN_API isPlatformTypeSupported(FIDString type) override {
    return std::strcmp(type, kPlatformTypeX11EmbedWindowID) == 0 ? kResultTrue : kResultFalse;
  }
  tresult PLUGIN_API attached(void*, FIDString) override { return kResultOk; }
  tresult PLUGIN_API removed() override { return kResultOk; }
  tresult PLUGIN_API onWheel(float) override { return kResultFalse; }
  tresult PLUGIN_API onKeyDown(char16, int16, int16) override { return kResultFalse; }
  tresult PLUGIN_API onKeyUp(char16, int16, int16) override { return kResultFalse; }
  tresult PLUGIN_API getSize(ViewRect* size) override {
    *size = ViewRect(0, 0, 300, 120);
    return kResultOk;
  }
  tresult PLUGIN_API onSize(ViewRect*) override { return kResultOk; }
  tresult PLUGIN_API onFocus(TBool) override { return kResultOk; }
  tresult PLUGIN_API canResize() override { return kResultFalse; }
  tresult PLUGIN_API checkSizeConstraint(ViewRect*) override { return kResultOk; }

 private:
  ~Editor() = default;
  std::atomic<uint32> refs_{1};
  runloop::vst3::FrameAttachment run_loop_;  // (3)
};

}  // namespace

// The module's entry points on Linux. The SDK's factory (GetPluginFactory) would create
// Controller and, from its createView("editor"), an Editor.
extern "C" __attribute__((visibility("default"))) bool ModuleEntry(void*) {
  return true;
}
extern "C" __attribute__((visibility("default"))) bool ModuleExit() {
  return true;
}
