#include "core/exceptions.hpp"

#include <cstdio>
#include <mutex>
#include <utility>

#include "runloop/error.hpp"

namespace runloop {
namespace {

std::mutex handler_mutex;
ExceptionHandler& handler_slot() {
  // Function-local so it is constructed before first use from any static initialiser.
  static ExceptionHandler handler;
  return handler;
}

void print_default(const std::exception_ptr& exception) noexcept {
  try {
    std::rethrow_exception(exception);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "runloop: exception escaped a callback: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "runloop: unknown exception escaped a callback\n");
  }
}

}  // namespace

void set_exception_handler(ExceptionHandler handler) {
  std::lock_guard lock(handler_mutex);
  handler_slot() = std::move(handler);
}

namespace detail {

void report_exception(std::exception_ptr exception) noexcept {
  ExceptionHandler handler;
  try {
    std::lock_guard lock(handler_mutex);
    handler = handler_slot();
  } catch (...) {
    // Copying the handler failed (out of memory): fall back to the default.
  }
  if (!handler) {
    print_default(exception);
    return;
  }
  try {
    handler(std::move(exception));
  } catch (...) {
    std::fprintf(stderr, "runloop: the exception handler threw; exception dropped\n");
  }
}

}  // namespace detail
}  // namespace runloop
