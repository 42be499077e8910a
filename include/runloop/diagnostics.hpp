#pragma once

#include <functional>
#include <string_view>

#include "runloop/export.hpp"

namespace runloop {

using DiagnosticHandler = std::function<void(std::string_view)>;

// Receives the library's diagnoses, one line each. Today there is one: work that has been
// ready for 2 s while nothing (the native loop, the host, run()) dispatched it, reported once
// per loop lifetime, naming the module, the likely cause and host-driven mode. It catches
// the silent failure of a plugin whose host never drives its loop.
//
// The handler runs on a helper thread of the library (the loop thread is the one that is
// stuck), so it must not wait for the loop; it may be called until the deinit() that ends
// the loop returns. nullptr restores the default: the line on stderr (logcat on Android).
// The handler belongs to the module, like the exception handler.
RUNLOOP_API void set_diagnostic_handler(DiagnosticHandler handler);

}  // namespace runloop
