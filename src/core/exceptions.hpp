#pragma once

#include <exception>

#include "runloop/detail/callback.hpp"

namespace runloop::detail {

// Hands an exception that escaped user code to the module's handler. Never throws.
void report_exception(std::exception_ptr exception) noexcept;

// Runs a callback so that nothing unwinds into the native loop that called us.
inline void invoke_guarded(Callback& callback) noexcept {
  try {
    callback();
  } catch (...) {
    report_exception(std::current_exception());
  }
}

}  // namespace runloop::detail
