// The consumer's own use of GObject: it links only if the consumer's PkgConfig::GLIB still
// names gobject-2.0 after find_package(runloop) / FetchContent of runloop.
#include <glib-object.h>

bool consumer_uses_gobject() {
  GObject* object = G_OBJECT(g_object_new(G_TYPE_OBJECT, nullptr));
  const bool ok = object != nullptr;
  g_object_unref(object);
  return ok;
}
