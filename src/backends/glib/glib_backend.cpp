// GLib backend: one custom GSource per loop on the thread's GMainContext.
//
// Primer, and the traps this file is shaped by:
// - prepare/check/dispatch. prepare() reports whether we are ready and how long the poll
//   may sleep; check() runs after the poll; dispatch() runs the work. GTK's
//   gtk_events_pending() calls prepare/check without dispatch, so readiness is derived from
//   the core's state every time and never from a one-shot token that could be consumed.
// - The timeout comes from prepare() (rounded up to whole ms, never down), not from
//   g_source_set_ready_time(): GLib never resets a ready time after dispatch, and with
//   can-recurse set every change writes the context's wake-up fd.
// - Cross-thread wake-up is g_main_context_wakeup(): the next prepare() sees the mailbox
//   non-empty. The core calls it once per batch. Work posted on the loop thread needs no
//   wake-up at all: prepare() always runs before the context sleeps again.
// - can-recurse: nested run(), block_on() and modal loops dispatch us again from inside a
//   dispatch. Without it GLib blocks the source around each dispatch and the nested loop
//   hangs; the core is re-entrant for this.
// - run() iterates the context itself with its own stop flag, so stop() ends only the
//   innermost level (g_main_loop_quit would need one GMainLoop per level anyway).
// - Priority G_PRIORITY_DEFAULT, as g_timeout_add and g_idle's callers in the seed used:
//   our batches are bounded, so input and redraw still get their turn.
#include <glib.h>

#include <climits>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include <dlfcn.h>

#include "backends/backend.hpp"

namespace runloop::detail {
namespace {

class GlibBackend;

struct WorkSource {
  GSource base;
  GlibBackend* backend;  // null once detached
};

gboolean source_prepare(GSource* source, gint* timeout);
gboolean source_check(GSource* source);
gboolean source_dispatch(GSource* source, GSourceFunc, gpointer);

GSourceFuncs work_source_funcs = {source_prepare, source_check, source_dispatch,
                                  nullptr,        nullptr,      nullptr};

bool is_process_main_thread() {
#if defined(__linux__)
  return getpid() == static_cast<pid_t>(syscall(SYS_gettid));
#else
  return false;
#endif
}

// The seed's choice of context: the default one when this thread owns it or is the main
// thread, else the thread-default one, else a new one pushed as thread default.
GMainContext* choose_context(bool& pushed) {
  GMainContext* default_context = g_main_context_default();
  pushed = false;
  if (g_main_context_is_owner(default_context) || is_process_main_thread()) {
    return g_main_context_ref(default_context);
  }
  if (GMainContext* thread_default = g_main_context_get_thread_default()) {
    return g_main_context_ref(thread_default);
  }
  GMainContext* own = g_main_context_new();
  g_main_context_push_thread_default(own);
  pushed = true;
  return own;
}

class GlibBackend final : public Backend {
 public:
  explicit GlibBackend(BackendDelegate& delegate) : delegate_(delegate) {
    context_ = choose_context(pushed_thread_default_);
    GSource* source = g_source_new(&work_source_funcs, sizeof(WorkSource));
    reinterpret_cast<WorkSource*>(source)->backend = this;
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_can_recurse(source, TRUE);
    g_source_set_name(source, "runloop");
    g_source_attach(source, context_);
    source_ = source;
  }

  ~GlibBackend() override { detach(); }

  void wake() noexcept override { g_main_context_wakeup(context_); }
  void wake_from_loop_thread() noexcept override {}
  void deadline_changed(std::optional<Clock::time_point>) noexcept override {}

  void run() override {
    bool stopped = false;
    run_levels_.push_back(&stopped);
    while (!stopped && source_ != nullptr) g_main_context_iteration(context_, TRUE);
    run_levels_.pop_back();
  }

  void stop() noexcept override {
    if (run_levels_.empty()) return;
    *run_levels_.back() = true;
    if (context_ != nullptr) g_main_context_wakeup(context_);
  }

  void run_app() override {
    if (auto gtk_main = gtk_function("gtk_main")) {
      gtk_main();
    } else {
      run();
    }
  }

  void stop_app() noexcept override {
    auto gtk_main_quit = gtk_function("gtk_main_quit");
    auto gtk_main_level = reinterpret_cast<unsigned (*)()>(gtk_function("gtk_main_level"));
    if (gtk_main_quit && gtk_main_level && gtk_main_level() > 0) {
      gtk_main_quit();
    } else {
      stop();
    }
  }

  void poll_once(bool may_block) override {
    if (source_ != nullptr) g_main_context_iteration(context_, may_block ? TRUE : FALSE);
  }

  void detach() noexcept override {
    if (source_ == nullptr) return;
    for (bool* stopped : run_levels_) *stopped = true;
    reinterpret_cast<WorkSource*>(source_)->backend = nullptr;
    g_source_destroy(source_);
    g_source_unref(source_);
    source_ = nullptr;
    if (pushed_thread_default_) g_main_context_pop_thread_default(context_);
    g_main_context_wakeup(context_);  // let an outer iteration notice that we left
    g_main_context_unref(context_);
    context_ = nullptr;
  }

  // prepare(): ready now, or how long the context may sleep for our sake.
  bool prepare(gint* timeout) {
    const NextWork next = delegate_.next_work();
    if (next.immediate) return ready_now(timeout);
    if (!next.deadline) {
      *timeout = -1;
      return false;
    }
    const auto remaining = *next.deadline - Clock::now();
    if (remaining <= Clock::duration::zero()) return ready_now(timeout);
    // Round up so we never wake before the deadline; cap absurd delays.
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(remaining).count();
    *timeout = static_cast<gint>(ms < INT_MAX ? ms : INT_MAX);
    return false;
  }

  bool check() const {
    const NextWork next = delegate_.next_work();
    return next.immediate || (next.deadline && *next.deadline <= Clock::now());
  }

  void dispatch() { delegate_.do_work(); }

 private:
  static bool ready_now(gint* timeout) {
    *timeout = 0;
    return true;
  }

  // GTK is optional and never linked: run_app() uses it when the process has it loaded.
  static void (*gtk_function(const char* name))() {
    return reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, name));
  }

  BackendDelegate& delegate_;
  GMainContext* context_ = nullptr;
  GSource* source_ = nullptr;
  bool pushed_thread_default_ = false;
  std::vector<bool*> run_levels_;
};

gboolean source_prepare(GSource* source, gint* timeout) {
  GlibBackend* backend = reinterpret_cast<WorkSource*>(source)->backend;
  if (backend == nullptr) {
    *timeout = -1;
    return FALSE;
  }
  return backend->prepare(timeout) ? TRUE : FALSE;
}

gboolean source_check(GSource* source) {
  GlibBackend* backend = reinterpret_cast<WorkSource*>(source)->backend;
  return backend != nullptr && backend->check() ? TRUE : FALSE;
}

gboolean source_dispatch(GSource* source, GSourceFunc, gpointer) {
  // do_work() holds a reference to the core (which owns this backend) for its duration.
  if (GlibBackend* backend = reinterpret_cast<WorkSource*>(source)->backend) backend->dispatch();
  return G_SOURCE_CONTINUE;
}

}  // namespace

Result<std::unique_ptr<Backend>, Error> create_backend(BackendDelegate& delegate) {
  return std::unique_ptr<Backend>(new GlibBackend(delegate));
}

}  // namespace runloop::detail
