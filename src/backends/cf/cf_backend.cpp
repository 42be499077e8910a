// CoreFoundation backend: one version-0 CFRunLoopSource, one CFRunLoopTimer and one observer
// on the thread's CFRunLoop (macOS, iOS; Linux with an open-source CoreFoundation).
//
// Primer, and the traps this file is shaped by:
// - A version-0 source is signalled, then performed on the loop's next pass. A sleeping loop
//   does not look at signals and a wake-up alone performs nothing: from another thread,
//   CFRunLoopSourceSignal then CFRunLoopWakeUp. On the loop thread the signal is enough: the
//   loop performs signalled sources before it decides to sleep.
// - One repeating timer with a huge interval, moved with CFRunLoopTimerSetNextFireDate. A
//   one-shot timer is invalidated after its callout, even when re-armed from it. Tolerance is
//   set before any date (set after, it may be ignored). A far-future date means disarmed.
// - The timer's callout only signals the source; the batch runs in the source's perform.
//   While a timer's callout runs, CF marks it firing and never fires it in a nested loop (a
//   callback running a modal loop would stall every timer), and a date set from inside the
//   callout is ignored unless later than the one that just fired (re-arming after an early
//   fire would disarm the timer).
// - Early fires happen (tolerance, clock conversion): the batch finds nothing due and the
//   timer is re-armed. Deadlines are steady_clock, fire dates CFAbsoluteTime (wall clock):
//   converted by their offset from "now", rounded so that the date comes out late, not early.
// - Modes: all three objects sit in kCFRunLoopCommonModes (work goes on during menu tracking,
//   live resize and modal panels) and in a private mode named after this module and load.
//   poll_once() (block_on) runs the private mode, so it runs only our work. A mode with no
//   source or timer makes CFRunLoopRunInMode return kCFRunLoopRunFinished at once, and
//   kCFRunLoopCommonModes is not a mode one can run.
// - The core reports deadline changes only outside do_work(). A callback may run a loop we do
//   not own (a modal dialog) while timers get scheduled, so a kCFRunLoopBeforeWaiting observer
//   re-arms from next_work() before any loop sleeps, as GLib's prepare() does.
// - run() returns from CFRunLoopRunInMode after each handled source and looks at its own
//   flag; stop() sets the flag and signals our source. CFRunLoopStop is not used: it stops
//   whichever loop is innermost, possibly a modal loop or a library's synchronous wait nested
//   in our run() (which would then swallow the stop and leave our level running), and its
//   flag stays on the run loop until some level consumes it.
// - Each batch runs inside an autorelease pool on Apple. Callback info is a raw `this`:
//   detach() invalidates the objects before we go, and CF checks validity before a callout.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <limits>
#include <vector>

#include "backends/backend.hpp"
#include "backends/cf/cf_api.h"
#include "backends/cf/cf_objc.hpp"
#include "core/exceptions.hpp"

namespace runloop::detail {
namespace {

class CfBackend;

void source_perform(void* info);
void timer_fired(CFRunLoopTimerRef timer, void* info);
void observer_before_waiting(CFRunLoopObserverRef observer, CFRunLoopActivity activity, void* info);

// Beyond CF's limit (about 16 years) a timeout means "none", and no timeout timer is armed;
// CFRunLoopRun() passes the same value.
constexpr CFTimeInterval kNoTimeout = 1.0e10;
// CF clamps this fire date to its own "never": the disarmed timer.
constexpr CFAbsoluteTime kDisarmed = 1.0e10;
constexpr CFTimeInterval kRepeatInterval = 1.0e10;
// Absurd delays are capped before they reach CF: firing early only costs a re-arm.
constexpr auto kMaxDelay = std::chrono::hours(24);
// After the host's own BeforeWaiting observers (Core Animation's commit among them), which
// may queue work or schedule timers of ours.
constexpr CFIndex kObserverOrder = std::numeric_limits<CFIndex>::max();

const char module_anchor = 0;  // its address identifies this module in the process

// Unique to this module and this load of it. One name per load, not per init: CF keeps every
// mode it has seen (with its ports and timers) for the life of the run loop, so a fresh name
// per init would leak a mode per init/deinit cycle. The stamp tells apart two loads of the
// module at the same address.
CFStringRef create_private_mode_name() {
  static const std::uint64_t load_stamp =
      static_cast<std::uint64_t>(CFAbsoluteTimeGetCurrent() * 1e6);
  char name[80];
  std::snprintf(name, sizeof name, "org.runloop.private.%" PRIxPTR ".%" PRIx64,
                reinterpret_cast<std::uintptr_t>(&module_anchor), load_stamp);
  return CFStringCreateWithCString(nullptr, name, kCFStringEncodingUTF8);
}

// Read steady_clock first: the CF "now" is then the later one, so the date comes out late.
// Whole microseconds rounded up, plus one for the double's rounding near 8e8 seconds.
CFAbsoluteTime to_fire_date(Clock::time_point deadline) {
  const Clock::time_point now = Clock::now();
  const CFAbsoluteTime cf_now = CFAbsoluteTimeGetCurrent();
  if (deadline <= now) return cf_now;
  const Clock::duration delay = std::min<Clock::duration>(deadline - now, kMaxDelay);
  const auto micros = std::chrono::ceil<std::chrono::microseconds>(delay).count() + 1;
  return cf_now + static_cast<CFTimeInterval>(micros) * 1e-6;
}

class CfBackend final : public Backend {
 public:
  explicit CfBackend(BackendDelegate& delegate) : delegate_(delegate) {
    loop_ = CFRunLoopGetCurrent();
    CFRetain(loop_);
    private_mode_ = create_private_mode_name();
    CFRunLoopSourceContext source_context{};
    source_context.info = this;
    source_context.perform = source_perform;
    source_ = CFRunLoopSourceCreate(nullptr, 0, &source_context);
    CFRunLoopTimerContext timer_context{};
    timer_context.info = this;
    timer_ = CFRunLoopTimerCreate(nullptr, kDisarmed, kRepeatInterval, 0, 0, timer_fired,
                                  &timer_context);
    CFRunLoopObserverContext observer_context{};
    observer_context.info = this;
    observer_ = CFRunLoopObserverCreate(nullptr, kCFRunLoopBeforeWaiting, true, kObserverOrder,
                                        observer_before_waiting, &observer_context);
    if (private_mode_ == nullptr || source_ == nullptr || timer_ == nullptr ||
        observer_ == nullptr) {
      return;  // attached() stays false; the destructor releases what was made
    }
    CFRunLoopTimerSetTolerance(timer_, 0.0);
    for (CFRunLoopMode mode : {kCFRunLoopCommonModes, private_mode_}) {
      CFRunLoopAddSource(loop_, source_, mode);
      CFRunLoopAddTimer(loop_, timer_, mode);
      CFRunLoopAddObserver(loop_, observer_, mode);
    }
    attached_ = true;
  }

  ~CfBackend() override {
    detach();
    remove_source();  // still there if a run() level was draining it
    release_all();
    // A perform on the stack may be the frame whose do_work() let the core (our owner) go.
    for (Frame* frame = frames_; frame != nullptr; frame = frame->outer) frame->alive = false;
  }

  bool attached() const { return attached_; }

  void wake() noexcept override {
    CFRunLoopSourceSignal(source_);
    CFRunLoopWakeUp(loop_);
  }
  void wake_from_loop_thread() noexcept override { CFRunLoopSourceSignal(source_); }
  void deadline_changed(std::optional<Clock::time_point> deadline) noexcept override {
    if (attached_) set_timer(deadline);
  }

  void run() override {
    if (!attached_) return;
    bool stopped = false;
    run_levels_.push_back(&stopped);
    prepare_level();
    while (!stopped) {
      const auto result = CFRunLoopRunInMode(kCFRunLoopDefaultMode, kNoTimeout, true);
      // Finished: the default mode holds no source or timer at all, so no pass could ever
      // end again. Return rather than spin. Anything else (a handled source, a foreign
      // CFRunLoopStop, a timeout) continues this level unless its flag is set.
      if (result == kCFRunLoopRunFinished) break;
    }
    run_levels_.pop_back();
    if (!attached_) drain_detached_source();
  }

  void stop() noexcept override {
    if (run_levels_.empty()) return;
    *run_levels_.back() = true;
    // run() returns once a source is handled. If stop() came from a host timer or observer
    // rather than from a callback of ours, make sure one is: ours, once more.
    if (source_ != nullptr) wake();
  }

  void run_app() override {
#if RUNLOOP_CF_APPKIT
    if (objc::have_application()) {
      if (!objc::application_is_running()) {
        prepare_level();
        objc::run_application();
      } else {
        run_nested_application();
      }
      return;
    }
#endif
    run();
  }

  void stop_app() noexcept override {
#if RUNLOOP_CF_APPKIT
    if (!app_levels_.empty()) {
      *app_levels_.back() = true;
      objc::post_wake_event();
      return;
    }
    if (objc::have_application() && objc::application_is_running()) {
      objc::stop_application();
      return;
    }
#endif
    stop();
  }

  void poll_once(bool may_block) override {
    if (!attached_) return;
    prepare_level();
    CFRunLoopRunInMode(private_mode_, may_block ? kNoTimeout : 0.0, true);
  }

  void detach() noexcept override {
    if (!attached_) return;
    attached_ = false;
    for (bool* stopped : run_levels_) *stopped = true;
#if RUNLOOP_CF_APPKIT
    for (bool* stopped : app_levels_) {
      *stopped = true;
      objc::post_wake_event();  // one per level: each nextEventMatchingMask: takes one
    }
#endif
    for (CFRunLoopMode mode : {kCFRunLoopCommonModes, private_mode_}) {
      CFRunLoopRemoveTimer(loop_, timer_, mode);
      CFRunLoopRemoveObserver(loop_, observer_, mode);
    }
    CFRunLoopTimerInvalidate(timer_);
    CFRunLoopObserverInvalidate(observer_);
    CFRelease(timer_);
    CFRelease(observer_);
    timer_ = nullptr;
    observer_ = nullptr;
    if (run_levels_.empty()) {
      remove_source();
    } else {
      // A run() level returns only after a handled source: keep ours (its perform now does
      // nothing) until the outermost level has left, and have it handled once more.
      wake();
    }
  }

  // The source's perform: one batch, then what comes next into the native objects.
  void perform() {
    if (!attached_) return;  // detached, kept only until the run() levels have returned
    FrameScope scope(*this);
    NextWork next;
    {
      objc::AutoreleasePool pool;
      next = delegate_.do_work();
    }
    if (!scope.frame.alive) return;  // the core, and so this backend, is gone
    if (attached_) rearm(next);
  }

  void on_timer_fired() {
    armed_.reset();  // after this callout CF moves the date one (huge) interval on
    if (attached_) CFRunLoopSourceSignal(source_);
  }

  void before_waiting() {
    if (!attached_) return;
    const NextWork next = delegate_.next_work();
    if (next.immediate) {
      wake();  // this pass has looked at signalled sources already: wake it as well
    } else {
      set_timer(next.deadline);
    }
  }

 private:
  // A perform on the stack, told when the backend is destroyed under it.
  struct Frame {
    bool alive = true;
    Frame* outer = nullptr;
  };
  struct FrameScope {
    explicit FrameScope(CfBackend& owner) : backend(owner) {
      frame.outer = backend.frames_;
      backend.frames_ = &frame;
    }
    ~FrameScope() {
      if (frame.alive) backend.frames_ = frame.outer;
    }
    FrameScope(const FrameScope&) = delete;
    FrameScope& operator=(const FrameScope&) = delete;
    CfBackend& backend;
    Frame frame;
  };

  // Entering a loop level: a batch on the stack may have queued work or scheduled timers
  // that the native objects do not know about yet.
  void prepare_level() {
    if (attached_) rearm(delegate_.next_work());
  }

  void rearm(const NextWork& next) {
    if (next.immediate) {
      CFRunLoopSourceSignal(source_);
    } else {
      set_timer(next.deadline);
    }
  }

  // Each change re-sorts CF's timer list and re-arms the kernel timer: only on a change.
  void set_timer(std::optional<Clock::time_point> deadline) {
    if (deadline == armed_) return;
    armed_ = deadline;
    CFRunLoopTimerSetNextFireDate(timer_, deadline ? to_fire_date(*deadline) : kDisarmed);
  }

#if RUNLOOP_CF_APPKIT
  // run_app() inside a running application (a plugin in a GUI host): an event loop of our
  // own, as a modal one would be, ended by stop_app().
  void run_nested_application() {
    bool stopped = false;
    app_levels_.push_back(&stopped);
    prepare_level();
    while (!stopped) {
      objc::AutoreleasePool pool;  // the event and whatever sendEvent: autoreleases
      objc::handle_next_event();
    }
    app_levels_.pop_back();
  }
#endif

  // After detach(), from each run() level on its way out.
  void drain_detached_source() {
    if (source_ == nullptr) return;
    if (run_levels_.empty()) {
      remove_source();
    } else {
      CFRunLoopSourceSignal(source_);  // the next level out returns after handling it
    }
  }

  void remove_source() {
    if (source_ == nullptr) return;
    for (CFRunLoopMode mode : {kCFRunLoopCommonModes, private_mode_}) {
      CFRunLoopRemoveSource(loop_, source_, mode);
    }
    CFRunLoopSourceInvalidate(source_);
    CFRelease(source_);
    source_ = nullptr;
  }

  void release_all() noexcept {
    for (CFTypeRef object :
         {static_cast<CFTypeRef>(source_), static_cast<CFTypeRef>(timer_),
          static_cast<CFTypeRef>(observer_), static_cast<CFTypeRef>(private_mode_),
          static_cast<CFTypeRef>(loop_)}) {
      if (object != nullptr) CFRelease(object);
    }
    source_ = nullptr;
    timer_ = nullptr;
    observer_ = nullptr;
    private_mode_ = nullptr;
    loop_ = nullptr;
  }

  BackendDelegate& delegate_;
  CFRunLoopRef loop_ = nullptr;
  CFStringRef private_mode_ = nullptr;
  CFRunLoopSourceRef source_ = nullptr;
  CFRunLoopTimerRef timer_ = nullptr;
  CFRunLoopObserverRef observer_ = nullptr;
  bool attached_ = false;
  std::optional<Clock::time_point> armed_;  // the timer's date, as a deadline; empty: disarmed
  std::vector<bool*> run_levels_;
#if RUNLOOP_CF_APPKIT
  std::vector<bool*> app_levels_;
#endif
  Frame* frames_ = nullptr;
};

// Trampolines: no exception may unwind into CoreFoundation's frames.

void source_perform(void* info) {
  try {
    static_cast<CfBackend*>(info)->perform();
  } catch (...) {
    report_exception(std::current_exception());
  }
}

void timer_fired(CFRunLoopTimerRef, void* info) {
  static_cast<CfBackend*>(info)->on_timer_fired();
}

void observer_before_waiting(CFRunLoopObserverRef, CFRunLoopActivity, void* info) {
  try {
    static_cast<CfBackend*>(info)->before_waiting();
  } catch (...) {
    report_exception(std::current_exception());
  }
}

}  // namespace

Result<std::unique_ptr<Backend>, Error> create_backend(BackendDelegate& delegate) {
  std::unique_ptr<CfBackend> backend(new CfBackend(delegate));
  if (!backend->attached()) return Unexpected(Error::NotInitialized);
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace runloop::detail
