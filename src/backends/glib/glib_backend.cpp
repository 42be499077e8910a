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
// - The core's run() iterates the context itself (poll_once) with its own stop flag, so
//   stop() ends only the innermost level (g_main_loop_quit would need one GMainLoop per
//   level anyway).
// - Priority G_PRIORITY_DEFAULT_IDLE, as Chromium's GLib pump: GLib dispatches only the
//   highest-priority ready sources of an iteration, so at G_PRIORITY_DEFAULT a work source
//   that is always ready (a flood of sends, a callback that re-posts itself) kept GTK's
//   redraw (G_PRIORITY_HIGH_IDLE + 20) and every idle callback from ever running (measured:
//   0 of 2000 iterations). The cost: while the host has higher-priority work ready in every
//   iteration, ours waits behind it; a guest must accept that.
// - Unload safety: GLib reads source->source_funcs->finalize when it drops its last
//   reference, which can happen after deinit() (an iteration that had us pending when a
//   host callback called deinit() and dlclose()). A static GSourceFuncs of this module would
//   then be read from unmapped memory, so each source carries its own copy of the table.
#include <glib.h>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include <dlfcn.h>

#include "backends/backend.hpp"
#include "core/time_math.hpp"

namespace runloop::detail {
namespace {

class GlibBackend;

struct WorkSource {
  GSource base;
  GlibBackend* backend;  // null once detached
  GSourceFuncs funcs;    // what base.source_funcs points to (see the primer: unload safety)
};

gboolean source_prepare(GSource* source, gint* timeout);
gboolean source_check(GSource* source);
gboolean source_dispatch(GSource* source, GSourceFunc, gpointer);

constexpr GSourceFuncs kWorkSourceFuncs = {source_prepare, source_check, source_dispatch,
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
    GSourceFuncs funcs = kWorkSourceFuncs;
    GSource* source = g_source_new(&funcs, sizeof(WorkSource));
    auto* work_source = reinterpret_cast<WorkSource*>(source);
    work_source->backend = this;
    work_source->funcs = kWorkSourceFuncs;
    source->source_funcs = &work_source->funcs;
    g_source_set_priority(source, G_PRIORITY_DEFAULT_IDLE);
    g_source_set_can_recurse(source, TRUE);
    g_source_set_name(source, "runloop");
    g_source_attach(source, context_);
    source_ = source;
  }

  ~GlibBackend() override { detach(); }

  bool wake() noexcept override {
    g_main_context_wakeup(context_);
    return true;
  }
  // prepare() asks the core before the context sleeps, and computes the timeout there.
  void wake_from_loop_thread() noexcept override {}
  void arm_deadline(std::optional<Clock::time_point>) noexcept override {}

  bool run_app() override {
    auto gtk_main = gtk_function("gtk_main");
    if (gtk_main == nullptr) return false;
    gtk_main();
    return true;
  }

  bool stop_app() noexcept override {
    auto gtk_main_quit = gtk_function("gtk_main_quit");
    auto gtk_main_level = reinterpret_cast<unsigned (*)()>(gtk_function("gtk_main_level"));
    if (gtk_main_quit == nullptr || gtk_main_level == nullptr || gtk_main_level() == 0) {
      return false;
    }
    gtk_main_quit();
    return true;
  }

  // One g_main_context_iteration: it sleeps only when no source (ours included) is ready,
  // and returns after dispatching.
  void poll_once(bool may_block) override {
    if (source_ != nullptr) g_main_context_iteration(context_, may_block ? TRUE : FALSE);
  }

  bool attached() const noexcept override { return source_ != nullptr; }

  void detach() noexcept override {
    if (source_ == nullptr) return;
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
    const auto wait = native_timeout<std::chrono::milliseconds>(*next.deadline, Clock::now());
    if (wait.count() == 0) return ready_now(timeout);
    *timeout = static_cast<gint>(wait.count());
    return false;
  }

  bool check() const {
    const NextWork next = delegate_.next_work();
    return next.immediate || (next.deadline && *next.deadline <= Clock::now());
  }

  void dispatch() {
    DelegateScope scope(delegate_);
    delegate_.do_work();
  }

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
  if (GlibBackend* backend = reinterpret_cast<WorkSource*>(source)->backend) backend->dispatch();
  return G_SOURCE_CONTINUE;
}

}  // namespace

Result<std::unique_ptr<Backend>, Error> create_backend(BackendDelegate& delegate) {
  return std::unique_ptr<Backend>(new GlibBackend(delegate));
}

}  // namespace runloop::detail
