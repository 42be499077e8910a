// The smallest program built against an installed runloop: a cross-thread send and a timer.
#include <cstdio>
#include <thread>

#include <runloop/runloop.hpp>

int main() {
  using namespace std::chrono_literals;
  auto guard = runloop::RunLoop::acquire();
  const auto loop = runloop::RunLoop::current();
  bool sent = false;
  std::thread([sender = runloop::RunLoop::sender(), &sent] {
    sender.send([&sent] { sent = true; });
  }).join();
  auto stop = loop.schedule(1ms, [&loop] { loop.stop(); });
  loop.run();
  std::puts(sent ? "consumer: ok" : "consumer: the send did not run");
  return sent ? 0 : 1;
}
