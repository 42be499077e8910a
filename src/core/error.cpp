#include "runloop/error.hpp"

#include <string>

namespace runloop {
namespace {

class RunLoopCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "runloop"; }
  std::string message(int value) const override {
    switch (static_cast<Error>(value)) {
      case Error::AlreadyInitialized:
        return "the run loop is already initialized";
      case Error::NotInitialized:
        return "the run loop is not initialized (call RunLoop::init() first)";
      case Error::NotRunLoopThread:
        return "called from a thread that is not the run loop thread";
      case Error::NestedBlockOn:
        return "block_on() called while another block_on() is running";
      case Error::PlatformFailure:
        return "the native run loop could not be attached";
    }
    return "unknown runloop error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const RunLoopCategory category;
  return category;
}

RunLoopError::RunLoopError(Error error)
    : std::logic_error("runloop: " + make_error_code(error).message()), error_(error) {}

}  // namespace runloop
