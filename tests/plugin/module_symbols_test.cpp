// What a plugin module exposes to the process, read from its symbol tables with binutils:
// - no runloop symbol in its dynamic symbol table: another module's copy of runloop could
//   bind to it (shared state between plugins, and a module that cannot unload);
// - no STB_GNU_UNIQUE symbol at all: glibc never unmaps a module that has one, so dlclose
//   would silently keep the plugin loaded (std::make_shared and std::noop_coroutine make GCC
//   emit them).
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace {

// Runs `command` and returns its output lines; fails the test if it does not succeed.
std::vector<std::string> lines_of(const std::string& command) {
  std::vector<std::string> lines;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run: " << command;
    return lines;
  }
  std::string line;
  for (int c; (c = std::fgetc(pipe)) != EOF;) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line.push_back(static_cast<char>(c));
    }
  }
  EXPECT_EQ(pclose(pipe), 0) << "failed: " << command;
  return lines;
}

// The names in `nm -D --defined-only` output ("address type name").
std::vector<std::string> exported_symbols(const char* module) {
  std::vector<std::string> names;
  for (const std::string& line :
       lines_of(std::string(RUNLOOP_NM) + " -D --defined-only " + module)) {
    std::istringstream fields(line);
    std::string address, type, name;
    if (fields >> address >> type >> name) names.push_back(name);
  }
  return names;
}

void expect_no_runloop_export(const char* module) {
  bool has_entry_point = false;
  std::string leaked;
  for (const std::string& name : exported_symbols(module)) {
    has_entry_point |= name == "plugin_init";
    // Mangled names carry "7runloop" for anything in namespace runloop, including standard
    // templates instantiated over runloop types.
    if (name.find("runloop") != std::string::npos) leaked += "\n  " + name;
  }
  EXPECT_TRUE(has_entry_point) << "could not read the dynamic symbols of " << module;
  EXPECT_TRUE(leaked.empty()) << module << " exports runloop symbols:" << leaked;
}

void expect_no_unique_symbol(const char* module) {
  const std::vector<std::string> lines = lines_of(std::string(RUNLOOP_READELF) + " -sW " + module);
  ASSERT_FALSE(lines.empty());
  std::string unique;
  for (const std::string& line : lines) {
    if (line.find(" UNIQUE ") != std::string::npos) unique += "\n  " + line;
  }
  EXPECT_TRUE(unique.empty()) << module
                              << " has STB_GNU_UNIQUE symbols, so glibc will never unmap it "
                                 "(avoid std::make_shared, std::noop_coroutine):"
                              << unique;
}

TEST(ModuleSymbols, PluginAExportsNoRunloopSymbol) {
  expect_no_runloop_export(PLUGIN_A_PATH);
}
TEST(ModuleSymbols, PluginBExportsNoRunloopSymbol) {
  expect_no_runloop_export(PLUGIN_B_PATH);
}
TEST(ModuleSymbols, PluginAHasNoUniqueSymbol) {
  expect_no_unique_symbol(PLUGIN_A_PATH);
}
TEST(ModuleSymbols, PluginBHasNoUniqueSymbol) {
  expect_no_unique_symbol(PLUGIN_B_PATH);
}

}  // namespace
