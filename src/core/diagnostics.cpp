#include "core/diagnostics.hpp"

#include <cstdio>
#include <utility>

#include "core/handler_slot.hpp"
#include "runloop/diagnostics.hpp"

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif
#if defined(__ANDROID__)
#include <android/log.h>
#endif

namespace runloop {
namespace {

detail::HandlerSlot<DiagnosticHandler>& handler_slot() {
  // Function-local so it is constructed before first use from any static initialiser.
  static detail::HandlerSlot<DiagnosticHandler> slot;
  return slot;
}

void print_default(std::string_view line) noexcept {
#if defined(__ANDROID__)
  __android_log_print(ANDROID_LOG_WARN, "runloop", "%.*s", static_cast<int>(line.size()),
                      line.data());
#else
  std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
#endif
}

// Any object of this module: its address names the module.
const char module_marker = 0;

}  // namespace

void set_diagnostic_handler(DiagnosticHandler handler) {
  handler_slot().set(std::move(handler));
}

namespace detail {

void report_diagnostic(std::string_view line) noexcept {
  handler_slot().call("diagnostic", line, print_default);
}

std::string module_path() {
#if defined(_WIN32)
  HMODULE module = nullptr;
  char path[MAX_PATH] = {};
  if (GetModuleHandleExA(
          GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
          &module_marker, &module) != 0 &&
      GetModuleFileNameA(module, path, MAX_PATH) > 0) {
    return path;
  }
#else
  Dl_info info{};
  if (dladdr(&module_marker, &info) != 0 && info.dli_fname != nullptr) return info.dli_fname;
#endif
  return "this module";
}

}  // namespace detail
}  // namespace runloop
