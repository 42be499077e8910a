#include <glib.h>

#include "test_support.hpp"

namespace runloop::test {

void host_iterate(bool may_block) {
  GMainContext* context = g_main_context_ref_thread_default();
  g_main_context_iteration(context, may_block ? TRUE : FALSE);
  g_main_context_unref(context);
}

const char* backend_name() {
  return "glib";
}

}  // namespace runloop::test
