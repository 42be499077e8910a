// The conformance suite's host: the thread-default GMainContext, iterated as a GTK host does.
#include <glib.h>

#include "host_drive.hpp"

namespace runloop::test {

void host_iterate(bool may_block) {
  GMainContext* context = g_main_context_ref_thread_default();
  g_main_context_iteration(context, may_block ? TRUE : FALSE);
  g_main_context_unref(context);
}

std::function<void()> host_waker() {
  std::shared_ptr<GMainContext> context(g_main_context_ref_thread_default(), &g_main_context_unref);
  return [context] { g_main_context_wakeup(context.get()); };
}

const char* backend_name() {
  return "glib";
}

bool host_loop_is_reentrant() {
  return true;
}

namespace {

// GTK's redraw: G_PRIORITY_HIGH_IDLE + 20, ready on every other iteration (a frame clock
// that is not always due), so that lower priorities get their turn in between.
struct RedrawSource {
  GSource base;
  bool due;     // this iteration
  bool rested;  // the iteration after a redraw is not due
  int runs;
};

gboolean redraw_prepare(GSource* source, gint* timeout) {
  auto* redraw = reinterpret_cast<RedrawSource*>(source);
  *timeout = 0;
  redraw->due = redraw->rested;
  redraw->rested = true;
  return redraw->due ? TRUE : FALSE;
}

gboolean redraw_check(GSource* source) {
  return reinterpret_cast<RedrawSource*>(source)->due ? TRUE : FALSE;
}

gboolean redraw_dispatch(GSource* source, GSourceFunc, gpointer) {
  auto* redraw = reinterpret_cast<RedrawSource*>(source);
  ++redraw->runs;
  redraw->rested = false;
  return G_SOURCE_CONTINUE;
}

GSourceFuncs redraw_funcs = {redraw_prepare, redraw_check, redraw_dispatch,
                             nullptr,        nullptr,      nullptr};

}  // namespace

struct HostActivity::Impl {
  GMainContext* context = g_main_context_ref_thread_default();
  GSource* redraw = nullptr;
  GSource* idle = nullptr;
  int idle_runs = 0;
};

HostActivity::HostActivity() : impl_(new Impl) {
  impl_->redraw = g_source_new(&redraw_funcs, sizeof(RedrawSource));
  g_source_set_priority(impl_->redraw, G_PRIORITY_HIGH_IDLE + 20);
  g_source_attach(impl_->redraw, impl_->context);
  impl_->idle = g_idle_source_new();  // G_PRIORITY_DEFAULT_IDLE, always ready
  g_source_set_callback(
      impl_->idle,
      [](gpointer data) -> gboolean {
        ++*static_cast<int*>(data);
        return G_SOURCE_CONTINUE;
      },
      &impl_->idle_runs, nullptr);
  g_source_attach(impl_->idle, impl_->context);
}

HostActivity::~HostActivity() {
  for (GSource* source : {impl_->redraw, impl_->idle}) {
    g_source_destroy(source);
    g_source_unref(source);
  }
  g_main_context_unref(impl_->context);
}

int HostActivity::runs() const {
  const int redraws = reinterpret_cast<RedrawSource*>(impl_->redraw)->runs;
  return redraws < impl_->idle_runs ? redraws : impl_->idle_runs;
}

}  // namespace runloop::test
