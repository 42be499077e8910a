#pragma once

#include <exception>
#include <functional>
#include <stdexcept>
#include <system_error>

#include "runloop/export.hpp"

namespace runloop {

enum class Error {
  AlreadyInitialized = 1,
  NotInitialized,
  NotRunLoopThread,
  NestedBlockOn,
  // The native loop refused to attach (e.g. a window class could not be registered).
  PlatformFailure,
};

RUNLOOP_API const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(Error error) noexcept {
  return {static_cast<int>(error), error_category()};
}

// Thrown for misuse that cannot be answered with a Result (the Rust seed panics there).
class RUNLOOP_API RunLoopError : public std::logic_error {
 public:
  explicit RunLoopError(Error error);
  Error error() const noexcept { return error_; }
  std::error_code code() const noexcept { return make_error_code(error_); }

 private:
  Error error_;
};

using ExceptionHandler = std::function<void(std::exception_ptr)>;

// Receives every exception that escapes a schedule/send callback. nullptr restores the
// default handler, which prints one line to stderr. The handler belongs to this module.
RUNLOOP_API void set_exception_handler(ExceptionHandler handler);

}  // namespace runloop

template <>
struct std::is_error_code_enum<runloop::Error> : std::true_type {};
