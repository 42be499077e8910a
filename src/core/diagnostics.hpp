#pragma once

#include <string>
#include <string_view>

namespace runloop::detail {

// Hands one line to the module's diagnostic handler (default: stderr, logcat on Android).
// Any thread. Never throws.
void report_diagnostic(std::string_view line) noexcept;

// The file this module was loaded from (the plugin's .so / .clap / .dll), for messages that
// must say which of several plugins in a process they are about.
std::string module_path();

}  // namespace runloop::detail
