#pragma once

// VST3 adapter (Linux), header-only. It includes the VST3 SDK's
// "pluginterfaces/gui/iplugview.h", which the plugin's include path already provides. On Linux a
// VST3 host hands a plugin its run loop only through the IPlugFrame of an open editor
// (Steinberg::Linux::IRunLoop), so this adapter registers the module's loop with that IRunLoop
// while a view has a frame:
//
//   class MyView : public Steinberg::IPlugView {
//     runloop::vst3::FrameAttachment loop_;
//     tresult PLUGIN_API setFrame(IPlugFrame* frame) override {
//       loop_.set_frame(frame);       // joins the frame's IRunLoop, leaves the previous one
//       return kResultOk;
//     }
//   };
//
// The loop itself is the plugin's: RunLoop::init() in the controller's initialize() and
// deinit() in terminate(), on the main thread, with every view (and so every attachment)
// gone before the last deinit(). poll_fd() works in both modes, so the choice is:
// - RunLoop::init() (recommended): in hosts that iterate GLib (Ardour, REAPER, most Qt and
//   GTK hosts) work runs all the time, view or not; in the others it runs while a view is
//   open and waits otherwise.
// - RunLoop::init(runloop::host_driven): never touches GLib; work runs while a view is open
//   and waits otherwise, in every host.
// Either way, work queued while no view is open runs once a frame attaches: the descriptor is
// level-triggered, so the host's first look at it finds it readable.
//
// Each attachment registers one IEventHandler for a descriptor of its own (a duplicate of
// poll_fd(): hosts may key handlers by descriptor) and one ITimerHandler, a safety net for
// hosts whose descriptor handling misses wake-ups. Both only call dispatch(): hosts that
// call onFDIsSet on every iteration, readable or not (REAPER), cost a cheap no-op batch.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>

#if !__has_include("pluginterfaces/gui/iplugview.h")
#error "runloop/vst3.hpp needs the VST3 SDK (pluginterfaces/) on the include path"
#endif
#include "pluginterfaces/gui/iplugview.h"
#include "runloop/host_driven.hpp"

namespace runloop::vst3 {

// The safety-net timer's period; 0 registers no timer.
inline constexpr Steinberg::Linux::TimerInterval kTimerPeriodMs = 10;

// Registers this module's loop with the IRunLoop of one view's frame. Main thread only.
class FrameAttachment {
 public:
  explicit FrameAttachment(Steinberg::Linux::TimerInterval timer_period_ms = kTimerPeriodMs)
      : handler_(new Handler), period_(timer_period_ms) {}
  FrameAttachment(const FrameAttachment&) = delete;
  FrameAttachment& operator=(const FrameAttachment&) = delete;
  ~FrameAttachment() {
    leave();
    handler_->orphan();  // the host may still hold it: it must do nothing from now on
    handler_->release();
  }

  // From IPlugView::setFrame(): leaves the previous frame's IRunLoop (unregistering), joins
  // `frame`'s (nullptr: none). kResultOk when registered, kNoInterface when the frame has no
  // IRunLoop, kResultFalse when the host refused both handlers.
  Steinberg::tresult set_frame(Steinberg::IPlugFrame* frame) noexcept {
    if (frame != nullptr && frame == frame_) return Steinberg::kResultOk;
    leave();
    if (frame == nullptr) return Steinberg::kResultOk;
    Steinberg::Linux::IRunLoop* run_loop = nullptr;
    if (frame->queryInterface(Steinberg::Linux::IRunLoop_iid,
                              reinterpret_cast<void**>(&run_loop)) != Steinberg::kResultOk ||
        run_loop == nullptr) {
      return Steinberg::kNoInterface;
    }
    int fd = -1;
    try {
      fd = fcntl(RunLoop::current().poll_fd(), F_DUPFD_CLOEXEC, 0);
    } catch (...) {
      // Not initialised on this thread, or no descriptor to be had: the timer alone.
    }
    if (fd >= 0 && run_loop->registerEventHandler(handler_, fd) != Steinberg::kResultOk) {
      close(fd);
      fd = -1;
    }
    timer_registered_ =
        period_ > 0 && run_loop->registerTimer(handler_, period_) == Steinberg::kResultOk;
    if (fd < 0 && !timer_registered_) {
      run_loop->release();
      return Steinberg::kResultFalse;
    }
    fd_ = fd;
    run_loop_ = run_loop;
    frame_ = frame;
    return Steinberg::kResultOk;
  }

  // Whether a frame's IRunLoop drives the loop through this attachment.
  bool attached() const noexcept { return run_loop_ != nullptr; }
  // The descriptor registered with the IRunLoop, or -1.
  int fd() const noexcept { return fd_; }

 private:
  // COM-style interfaces have no virtual destructor; the object deletes itself in release().
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
#endif
  class Handler final : public Steinberg::Linux::IEventHandler,
                        public Steinberg::Linux::ITimerHandler {
   public:
    Steinberg::tresult PLUGIN_API queryInterface(const Steinberg::TUID iid,
                                                 void** object) override {
      using Steinberg::FUnknownPrivate::iidEqual;
      if (iidEqual(iid, Steinberg::FUnknown_iid) ||
          iidEqual(iid, Steinberg::Linux::IEventHandler_iid)) {
        *object = static_cast<Steinberg::Linux::IEventHandler*>(this);
      } else if (iidEqual(iid, Steinberg::Linux::ITimerHandler_iid)) {
        *object = static_cast<Steinberg::Linux::ITimerHandler*>(this);
      } else {
        *object = nullptr;
        return Steinberg::kNoInterface;
      }
      addRef();
      return Steinberg::kResultOk;
    }
    Steinberg::uint32 PLUGIN_API addRef() override {
      return refs_.fetch_add(1, std::memory_order_relaxed) + 1;
    }
    Steinberg::uint32 PLUGIN_API release() override {
      const Steinberg::uint32 left = refs_.fetch_sub(1, std::memory_order_acq_rel) - 1;
      if (left == 0) delete this;
      return left;
    }
    void PLUGIN_API onFDIsSet(Steinberg::Linux::FileDescriptor) override { dispatch(); }
    void PLUGIN_API onTimer() override { dispatch(); }
    void orphan() noexcept { live_ = false; }

   private:
    ~Handler() = default;
    void dispatch() noexcept {
      if (!live_) return;
      try {
        if (auto loop = RunLoop::try_current()) loop->dispatch();
      } catch (...) {
        // Nothing may unwind into the host (callbacks' own exceptions never get here).
      }
    }
    std::atomic<Steinberg::uint32> refs_{1};
    bool live_ = true;  // main thread
  };
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

  void leave() noexcept {
    if (run_loop_ == nullptr) return;
    if (fd_ >= 0) run_loop_->unregisterEventHandler(handler_);
    if (timer_registered_) run_loop_->unregisterTimer(handler_);
    run_loop_->release();
    // After the host let go of it: the number may be reused at once.
    if (fd_ >= 0) close(fd_);
    run_loop_ = nullptr;
    frame_ = nullptr;
    fd_ = -1;
    timer_registered_ = false;
  }

  Handler* handler_;
  Steinberg::Linux::TimerInterval period_;
  Steinberg::IPlugFrame* frame_ = nullptr;  // identity only
  Steinberg::Linux::IRunLoop* run_loop_ = nullptr;
  int fd_ = -1;
  bool timer_registered_ = false;
};

}  // namespace runloop::vst3
