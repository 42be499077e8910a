// CoreFoundation backend: one version-0 CFRunLoopSource and one CFRunLoopTimer on the
// thread's CFRunLoop (macOS, iOS; Linux with an open-source CoreFoundation).
//
// Primer, and the traps this file is shaped by (the phases in the same order as the other
// backends' primers):
// - Dispatch. A version-0 source is signalled, then performed on the loop's next pass; its
//   perform runs one batch, inside an autorelease pool on Apple. Both objects sit in
//   kCFRunLoopCommonModes, so work goes on during menu tracking, live resize and modal panels.
// - Deadline. One repeating timer with a huge interval, moved by arm_deadline() with
//   CFRunLoopTimerSetNextFireDate (a one-shot timer is invalidated after its callout, even when
//   re-armed from it; a far-future date means disarmed). Tolerance is set before any date (set
//   after, it may be ignored). The timer's callout only tells the core (native_timer_fired())
//   and signals the source; the batch runs in the source's perform. While a timer's callout
//   runs, CF marks the timer firing and never fires it in a nested loop (a callback running a
//   modal loop would stall every timer), and ignores a date set from inside the callout unless
//   it is later than the one that just fired. Early fires happen (tolerance, clock
//   conversion): the batch finds nothing due and the core arms the timer again. Deadlines are
//   steady_clock, fire dates CFAbsoluteTime (wall clock): converted by their offset from
//   "now", rounded so that the date comes out late, not early.
// - Wake-up. CFRunLoopSourceSignal, then CFRunLoopWakeUp: a sleeping loop does not look at
//   signals. From the loop thread too: work queued from a host's kCFRunLoopBeforeWaiting
//   observer (Core Animation's commit among them) comes after this pass has looked at its
//   signalled sources, and would otherwise wait for an unrelated wake-up.
// - Nested and foreign loops. A callback may run a loop we do not own (a modal panel, a
//   library's synchronous CFRunLoopRunInMode). Nested passes perform version-0 sources, the
//   core keeps a wake-up requested while immediate work is left and announces every deadline
//   change at any depth, so our work and our timers go on inside that loop.
// - Run levels are the core's. poll_once() is one CFRunLoopRunInMode(kCFRunLoopDefaultMode)
//   that returns after one handled source (as NSRunLoop's runMode:beforeDate: does); run() and
//   block_on() repeat it. CFRunLoopStop is never used: it stops whichever loop is innermost,
//   possibly a modal loop nested in our run(), which would swallow the stop, and its flag stays
//   on the run loop until some level consumes it. run_app() is [NSApp run], or an event loop of
//   our own inside an application that is running already (a plugin in a GUI host).
// - Fairness. Each pass performs every signalled version-0 source once, then looks at the
//   host's timers and ports before the next pass: one batch of ours per pass leaves the host
//   its turn.
// - Unload safety. detach() removes both objects from the loop and invalidates them; CF checks
//   validity before a callout, so nothing of ours is called afterwards. While a poll of ours is
//   on the stack the source is kept, doing nothing, until the outermost poll has returned
//   (CFRunLoopRunInMode returns only after a handled source). Every callout opens a
//   DelegateScope, and no exception unwinds into CF's frames.
#include <chrono>
#include <cstdio>
#include <exception>
#include <utility>

#include "backends/backend.hpp"
#include "backends/cf/cf_api.h"
#include "backends/cf/cf_objc.hpp"
#include "core/exceptions.hpp"
#include "core/time_math.hpp"

#if RUNLOOP_CF_APPKIT
#include <vector>
#endif

namespace runloop::detail {
namespace {

void source_perform(void* info);
void timer_fired(CFRunLoopTimerRef timer, void* info);

// Beyond CF's limit (about 16 years) a timeout means "none", and no timeout timer is armed;
// CFRunLoopRun() passes the same value.
constexpr CFTimeInterval kNoTimeout = 1.0e10;
// CF clamps this fire date to its own "never": the disarmed timer.
constexpr CFAbsoluteTime kDisarmed = 1.0e10;
constexpr CFTimeInterval kRepeatInterval = 1.0e10;

// Read steady_clock first: the CF "now" is then the later one, so the date comes out late.
// Whole microseconds rounded up and capped (native_timeout), plus one for the double's
// rounding near 8e8 seconds.
CFAbsoluteTime to_fire_date(Clock::time_point deadline) {
  const Clock::time_point now = Clock::now();
  const CFAbsoluteTime cf_now = CFAbsoluteTimeGetCurrent();
  const auto micros = native_timeout<std::chrono::microseconds>(deadline, now).count();
  if (micros == 0) return cf_now;
  return cf_now + static_cast<CFTimeInterval>(micros + 1) * 1e-6;
}

class CfBackend final : public Backend {
 public:
  explicit CfBackend(BackendDelegate& delegate) : delegate_(delegate) {
    loop_ = CFRunLoopGetCurrent();
    CFRetain(loop_);
    CFRunLoopSourceContext source_context{};
    source_context.info = this;
    source_context.perform = source_perform;
    source_ = CFRunLoopSourceCreate(nullptr, 0, &source_context);
    CFRunLoopTimerContext timer_context{};
    timer_context.info = this;
    timer_ = CFRunLoopTimerCreate(nullptr, kDisarmed, kRepeatInterval, 0, 0, timer_fired,
                                  &timer_context);
    if (source_ == nullptr || timer_ == nullptr) return;  // attached() stays false
    CFRunLoopTimerSetTolerance(timer_, 0.0);
    CFRunLoopAddSource(loop_, source_, kCFRunLoopCommonModes);
    CFRunLoopAddTimer(loop_, timer_, kCFRunLoopCommonModes);
    attached_ = true;
  }

  ~CfBackend() override {
    detach();
    remove_source();                           // still there if a poll was on the stack at detach()
    if (timer_ != nullptr) CFRelease(timer_);  // never attached
    CFRelease(loop_);
  }

  bool wake() noexcept override {
    CFRunLoopSourceSignal(source_);
    CFRunLoopWakeUp(loop_);
    return true;
  }

  void arm_deadline(std::optional<Clock::time_point> deadline) noexcept override {
    if (!attached_) return;
    CFRunLoopTimerSetNextFireDate(timer_, deadline ? to_fire_date(*deadline) : kDisarmed);
  }

  bool run_app() override {
#if RUNLOOP_CF_APPKIT
    if (objc::have_application()) {
      if (objc::application_is_running()) {
        run_nested_application();
      } else {
        objc::run_application();
      }
      return true;
    }
#endif
    return false;
  }

  bool stop_app() noexcept override {
#if RUNLOOP_CF_APPKIT
    if (!app_levels_.empty()) {
      *app_levels_.back() = true;
      objc::post_wake_event();
      return true;
    }
    if (objc::have_application() && objc::application_is_running()) {
      objc::stop_application();
      return true;
    }
#endif
    return false;
  }

  // One pass in the default mode, returning after one handled source (ours, or the host's).
  void poll_once(bool may_block) override {
    if (!attached_) return;
    ++polls_;
    CFRunLoopRunInMode(kCFRunLoopDefaultMode, may_block ? kNoTimeout : 0.0, true);
    --polls_;
    if (!attached_) release_kept_source();
  }

  bool attached() const noexcept override {
    return attached_;
  }

  void detach() noexcept override {
    if (!attached_) return;
    attached_ = false;
#if RUNLOOP_CF_APPKIT
    for (bool* stopped : app_levels_) {
      *stopped = true;
      objc::post_wake_event();  // one per level: each nextEventMatchingMask: takes one
    }
#endif
    CFRunLoopRemoveTimer(loop_, timer_, kCFRunLoopCommonModes);
    CFRunLoopTimerInvalidate(timer_);
    CFRelease(timer_);
    timer_ = nullptr;
    release_kept_source();
  }

  // The source's perform: one batch.
  void perform() {
    if (!attached_) return;  // detached, kept only until the polls on the stack have returned
    DelegateScope scope(delegate_);
    objc::AutoreleasePool pool;
    delegate_.do_work();
  }

  // The timer's callout: CF moves the date one (huge) interval on after it, so nothing is
  // armed any more; the batch runs in the perform that the signal brings.
  void on_timer_fired() noexcept {
    if (!attached_) return;
    DelegateScope scope(delegate_);
    delegate_.native_timer_fired();
    CFRunLoopSourceSignal(source_);
  }

 private:
#if RUNLOOP_CF_APPKIT
  // run_app() inside a running application (a plugin in a GUI host): an event loop of our
  // own, as a modal one would be, ended by stop_app().
  void run_nested_application() {
    bool stopped = false;
    app_levels_.push_back(&stopped);
    while (!stopped) {
      objc::AutoreleasePool pool;  // the event and whatever sendEvent: autoreleases
      objc::handle_next_event();
    }
    app_levels_.pop_back();
  }
#endif

  // After detach(): a poll of ours returns only after a handled source, so while one is on
  // the stack the source stays (its perform does nothing now) and is handled once more.
  void release_kept_source() noexcept {
    if (source_ == nullptr) return;
    if (polls_ == 0) {
      remove_source();
      return;
    }
    CFRunLoopSourceSignal(source_);
    CFRunLoopWakeUp(loop_);
  }

  void remove_source() noexcept {
    if (source_ == nullptr) return;
    CFRunLoopRemoveSource(loop_, source_, kCFRunLoopCommonModes);
    CFRunLoopSourceInvalidate(source_);
    CFRelease(source_);
    source_ = nullptr;
  }

  BackendDelegate& delegate_;
  CFRunLoopRef loop_ = nullptr;
  CFRunLoopSourceRef source_ = nullptr;
  CFRunLoopTimerRef timer_ = nullptr;
  bool attached_ = false;
  int polls_ = 0;  // poll_once() frames on the stack
#if RUNLOOP_CF_APPKIT
  std::vector<bool*> app_levels_;
#endif
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

}  // namespace

Result<std::unique_ptr<Backend>, Error> create_backend(BackendDelegate& delegate) {
  std::unique_ptr<CfBackend> backend(new CfBackend(delegate));
  if (!backend->attached()) {
    // One line for whoever reads the host's log; init() returns PlatformFailure.
    std::fprintf(stderr, "runloop: creating the CFRunLoop source or timer failed\n");
    return Unexpected(Error::PlatformFailure);
  }
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace runloop::detail
