// Host-driven mode touches no GLib context: a host that never runs GLib is the point, and a
// host that does must not see a source of ours in its context.
#include <glib.h>
#include <gtest/gtest.h>

#include "fd_test_util.hpp"
#include "runloop/host_driven.hpp"
#include "test_support.hpp"

namespace runloop::test {
namespace {

TEST(HostDrivenMode, AttachesNothingToAnyGLibContext) {
  auto guard = RunLoop::acquire(host_driven);
  const RunLoop loop = RunLoop::current();
  bool sent = false;
  bool fired = false;
  RunLoop::sender().send([&] { sent = true; });
  auto timer = loop.schedule(0ms, [&] { fired = true; });
  GMainContext* thread_default = g_main_context_ref_thread_default();
  for (int i = 0; i < 100; ++i) {
    g_main_context_iteration(nullptr, FALSE);
    g_main_context_iteration(thread_default, FALSE);
  }
  EXPECT_FALSE(g_main_context_pending(nullptr));
  g_main_context_unref(thread_default);
  EXPECT_FALSE(sent || fired) << "GLib ran our work: a source of ours is in a GLib context";
  loop.dispatch();
  EXPECT_TRUE(sent && fired);
}

}  // namespace
}  // namespace runloop::test
