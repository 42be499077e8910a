#pragma once

// What the Win32 tests look at from outside: the windows and classes in the process, and a
// host's own message pump.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace runloop::test {

// The module that contains the calling code (the test executable or a DLL).
HMODULE module_containing(const void* address);
HMODULE this_module();

// This process's message-only windows whose class name starts with "runloop." and whose
// class was registered with `module`.
std::vector<HWND> runloop_windows_of(HMODULE module);
// The one runloop window of this module, or nullptr (a test failure is added then).
HWND our_window();
std::wstring class_name_of(HWND window);
bool class_registered(HMODULE module, const std::wstring& name);

// A host's message pump: one message at a time (PeekMessage follows GetMessage's order),
// sleeping in MsgWaitForMultipleObjectsEx when the queue is empty, until `done()` holds or
// `timeout` passes. `observe` sees each message before it is dispatched. Returns done().
bool host_pump_until(const std::function<bool()>& done,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30),
                     const std::function<void(const MSG&)>& observe = {});
void host_pump_for(std::chrono::milliseconds duration);

// A window of the test's own (host's) class that counts its WM_TIMER messages.
class HostWindow {
 public:
  HostWindow();
  ~HostWindow();
  HostWindow(const HostWindow&) = delete;
  HostWindow& operator=(const HostWindow&) = delete;

  HWND hwnd() const { return hwnd_; }
  int timer_messages() const { return timer_messages_; }

 private:
  static LRESULT CALLBACK procedure(HWND hwnd, UINT message, WPARAM wparam, LPARAM lparam);
  HWND hwnd_ = nullptr;
  int timer_messages_ = 0;
};

}  // namespace runloop::test
