#include "test_support.hpp"

#include <thread>

namespace runloop::test {

bool wait_until(const std::function<bool()>& done, std::chrono::nanoseconds timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(200us);
  }
  return true;
}

}  // namespace runloop::test
