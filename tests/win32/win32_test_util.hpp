#pragma once

// What the Win32 tests look at from outside: the windows and classes in the process, and a
// host's own message pump.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
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

// A window of the test's own (host's) class that counts its WM_TIMER messages and hands
// them, and any WM_APP-range message posted to it, to `on_message` (host code).
class HostWindow {
 public:
  HostWindow();
  ~HostWindow();
  HostWindow(const HostWindow&) = delete;
  HostWindow& operator=(const HostWindow&) = delete;

  HWND hwnd() const { return hwnd_; }
  int timer_messages() const { return timer_messages_; }
  std::function<void(UINT message, WPARAM wparam)> on_message;

 private:
  static LRESULT CALLBACK procedure(HWND hwnd, UINT message, WPARAM wparam, LPARAM lparam);
  HWND hwnd_ = nullptr;
  int timer_messages_ = 0;
};

// Counts the messages `message` (for `window`, or for any window when null) that this
// thread's pumps, ours included, take out of the queue (a WH_GETMESSAGE hook). One at a time.
class RetrievalCounter {
 public:
  RetrievalCounter(HWND window, UINT message);
  ~RetrievalCounter();
  RetrievalCounter(const RetrievalCounter&) = delete;
  RetrievalCounter& operator=(const RetrievalCounter&) = delete;
  bool installed() const { return hook_ != nullptr; }
  int taken() const;

 private:
  HHOOK hook_ = nullptr;
};

// Turns a hang of the loop thread into a test failure: while armed for longer than
// `patience`, it posts WM_NULL to that thread, which ends any message wait, and counts a
// rescue. A correct loop never needs one.
class HangRescuer {
 public:
  explicit HangRescuer(std::chrono::milliseconds patience = std::chrono::seconds(5));
  ~HangRescuer();
  HangRescuer(const HangRescuer&) = delete;
  HangRescuer& operator=(const HangRescuer&) = delete;

  void arm();  // loop thread: what follows must not hang
  void disarm();
  int rescues() const { return rescues_; }

 private:
  const std::chrono::milliseconds patience_;
  const DWORD thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool armed_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point armed_at_;
  std::atomic<int> rescues_{0};
  std::thread watcher_;
};

}  // namespace runloop::test
