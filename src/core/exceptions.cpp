#include "core/exceptions.hpp"

#include <cstdio>
#include <utility>

#include "core/handler_slot.hpp"
#include "runloop/error.hpp"

namespace runloop {
namespace {

detail::HandlerSlot<ExceptionHandler>& handler_slot() {
  // Function-local so it is constructed before first use from any static initialiser.
  static detail::HandlerSlot<ExceptionHandler> slot;
  return slot;
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
  handler_slot().set(std::move(handler));
}

namespace detail {

void report_exception(std::exception_ptr exception) noexcept {
  handler_slot().call("exception", std::move(exception), print_default);
}

}  // namespace detail
}  // namespace runloop
