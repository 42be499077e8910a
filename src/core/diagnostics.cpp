#include "core/diagnostics.hpp"

#include <cstdio>
#include <mutex>
#include <utility>

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

std::mutex handler_mutex;
DiagnosticHandler& handler_slot() {
  // Function-local so it is constructed before first use from any static initialiser.
  static DiagnosticHandler handler;
  return handler;
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
  std::lock_guard lock(handler_mutex);
  handler_slot() = std::move(handler);
}

namespace detail {

void report_diagnostic(std::string_view line) noexcept {
  DiagnosticHandler handler;
  try {
    std::lock_guard lock(handler_mutex);
    handler = handler_slot();
  } catch (...) {
    // Copying the handler failed (out of memory): fall back to the default.
  }
  if (!handler) {
    print_default(line);
    return;
  }
  try {
    handler(line);
  } catch (...) {
    std::fprintf(stderr, "runloop: the diagnostic handler threw; diagnosis dropped\n");
  }
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
