#include "runloop/testing.hpp"

namespace runloop::testing {

int run_on_loop(std::function<int()> body) {
  auto guard = RunLoop::acquire();
  const RunLoop loop = RunLoop::current();
  int exit_code = 1;
  std::exception_ptr failure;
  RunLoop::sender().send([&] {
    try {
      exit_code = body();
    } catch (...) {
      failure = std::current_exception();
    }
    loop.stop_app();
  });
  loop.run_app();
  if (failure) std::rethrow_exception(failure);
  return exit_code;
}

}  // namespace runloop::testing
