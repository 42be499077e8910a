#pragma once

// What the Win32 backend puts into the process's window manager: one message-only window of a
// class that belongs to the module embedding this copy of runloop.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <string>

#include "runloop/error.hpp"
#include "runloop/result.hpp"

namespace runloop::detail {

// Registers a window class and creates one HWND_MESSAGE window of it; destroy() undoes both.
//
// Identity: a plugin DLL that embeds runloop must not register its class with the host's
// HMODULE (GetModuleHandle(nullptr)): the class would outlive the DLL's FreeLibrary with a
// window procedure pointing into unmapped code, and a second plugin registering the same
// name would fail or, worse, share it. So the class is registered with the HMODULE that
// contains this code, and its name carries that module's address and a counter of the
// registrations made by this load of the module, so that two modules, or two lifetimes of
// one loop, never collide. A class left registered by an earlier load of the same module at
// the same address (it was unloaded without deinit()) makes creation fail cleanly
// (PlatformFailure) instead of silently reusing a class whose procedure is gone.
class MessageWindow {
 public:
  MessageWindow() = default;
  MessageWindow(const MessageWindow&) = delete;
  MessageWindow& operator=(const MessageWindow&) = delete;
  ~MessageWindow() { destroy(); }

  // Loop thread. `procedure` must live in this module; `user_data` goes to GWLP_USERDATA.
  Result<void, Error> create(WNDPROC procedure, void* user_data);
  // Loop thread (a window can only be destroyed by the thread that created it). Idempotent.
  void destroy() noexcept;

  HWND hwnd() const noexcept { return hwnd_; }
  HMODULE module() const noexcept { return module_; }
  const std::wstring& class_name() const noexcept { return class_name_; }

 private:
  HMODULE module_ = nullptr;
  std::wstring class_name_;
  HWND hwnd_ = nullptr;
  bool registered_ = false;
};

}  // namespace runloop::detail
