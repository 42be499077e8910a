// The smallest program built against an installed (or vendored) runloop: a cross-thread send
// and a timer. Built with C++23 where the build says so, to prove nothing downgraded it.
#include <cstdio>
#include <thread>

#include <runloop/runloop.hpp>

#if defined(RUNLOOP_CONSUMER_EXPECT_CXX23)
static_assert(__cplusplus > 202002L, "the consumer asked for C++23 and got an older standard");
#endif

#if defined(CONSUMER_USES_GOBJECT)
bool consumer_uses_gobject();
#endif

int main() {
  using namespace std::chrono_literals;
#if defined(CONSUMER_USES_GOBJECT)
  if (!consumer_uses_gobject()) {
    std::puts("consumer: g_object_new failed");
    return 1;
  }
#endif
  // Caught by its type: from a shared runloop this needs the library's exported typeinfo.
  try {
    (void)runloop::RunLoop::current();  // no loop yet
    std::puts("consumer: current() without a loop did not throw");
    return 1;
  } catch (const runloop::RunLoopError& error) {
    if (error.error() != runloop::Error::NotInitialized) return 1;
  }
  auto guard = runloop::RunLoop::acquire();
  const auto loop = runloop::RunLoop::current();
  bool sent = false;
  std::thread([sender = runloop::RunLoop::sender(), &sent] {
    sender.send([&sent] { sent = true; });
  }).join();
  auto stop = loop.schedule(1ms, [&loop] { loop.stop(); });
  loop.run();
  std::printf("consumer: %s (C++ %ld)\n", sent ? "ok" : "the send did not run",
              static_cast<long>(__cplusplus));
  return sent ? 0 : 1;
}
