#include "win32_test_util.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cwchar>

namespace runloop::test {
namespace {

constexpr wchar_t kHostClass[] = L"runloop-test-host";

void anchor() {}

}  // namespace

HMODULE module_containing(const void* address) {
  HMODULE module = nullptr;
  GetModuleHandleExW(
      GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
      static_cast<LPCWSTR>(address), &module);
  return module;
}

HMODULE this_module() {
  return module_containing(
      reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(&anchor)));
}

std::wstring class_name_of(HWND window) {
  wchar_t name[256] = {};
  const int length = GetClassNameW(window, name, 256);
  return std::wstring(name, length > 0 ? length : 0);
}

std::vector<HWND> runloop_windows_of(HMODULE module) {
  std::vector<HWND> found;
  // FindWindowExW with HWND_MESSAGE walks the message-only windows.
  for (HWND window = FindWindowExW(HWND_MESSAGE, nullptr, nullptr, nullptr); window != nullptr;
       window = FindWindowExW(HWND_MESSAGE, window, nullptr, nullptr)) {
    wchar_t name[256] = {};
    GetClassNameW(window, name, 256);
    if (std::wcsncmp(name, L"runloop.", 8) != 0) continue;
    // Other processes' windows are listed too, and their modules may sit at the same address.
    DWORD process = 0;
    GetWindowThreadProcessId(window, &process);
    if (process != GetCurrentProcessId()) continue;
    if (reinterpret_cast<HMODULE>(GetClassLongPtrW(window, GCLP_HMODULE)) != module) continue;
    found.push_back(window);
  }
  return found;
}

HWND our_window() {
  const auto windows = runloop_windows_of(this_module());
  EXPECT_EQ(windows.size(), 1u) << "expected exactly one runloop window of this module";
  return windows.size() == 1 ? windows.front() : nullptr;
}

bool class_registered(HMODULE module, const std::wstring& name) {
  WNDCLASSEXW info{};
  info.cbSize = sizeof(info);
  return GetClassInfoExW(module, name.c_str(), &info) != 0;
}

bool host_pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                     const std::function<void(const MSG&)>& observe) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > give_up) return false;
    MSG msg;
    if (!PeekMessageW(&msg, nullptr, 0, 0, PM_REMOVE)) {
      MsgWaitForMultipleObjectsEx(0, nullptr, 5, QS_ALLINPUT, MWMO_INPUTAVAILABLE);
      continue;
    }
    if (msg.message == WM_QUIT) {
      PostQuitMessage(static_cast<int>(msg.wParam));  // not ours to swallow
      return done();
    }
    if (observe) observe(msg);
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
  }
}

void host_pump_for(std::chrono::milliseconds duration) {
  host_pump_until([] { return false; }, duration);
}

HostWindow::HostWindow() {
  WNDCLASSEXW window_class{};
  window_class.cbSize = sizeof(window_class);
  window_class.lpfnWndProc = &HostWindow::procedure;
  window_class.hInstance = this_module();
  window_class.lpszClassName = kHostClass;
  RegisterClassExW(&window_class);  // fails harmlessly when a previous test registered it
  hwnd_ = CreateWindowExW(0, kHostClass, L"", 0, 0, 0, 0, 0, HWND_MESSAGE, nullptr, this_module(),
                          nullptr);
  SetWindowLongPtrW(hwnd_, GWLP_USERDATA, reinterpret_cast<LONG_PTR>(this));
}

HostWindow::~HostWindow() {
  DestroyWindow(hwnd_);
}

LRESULT CALLBACK HostWindow::procedure(HWND hwnd, UINT message, WPARAM wparam, LPARAM lparam) {
  auto* self = reinterpret_cast<HostWindow*>(GetWindowLongPtrW(hwnd, GWLP_USERDATA));
  if (self != nullptr && message == WM_TIMER) {
    ++self->timer_messages_;
    if (self->on_message) self->on_message(message, wparam);
    return 0;
  }
  if (self != nullptr && message >= WM_APP && message <= 0xBFFF) {
    if (self->on_message) self->on_message(message, wparam);
    return 0;
  }
  return DefWindowProcW(hwnd, message, wparam, lparam);
}

namespace {

// The hook procedure has no context pointer: one counter at a time, on the test's thread.
HWND counted_window = nullptr;
UINT counted_message = 0;
int counted = 0;

LRESULT CALLBACK count_retrievals(int code, WPARAM wparam, LPARAM lparam) {
  const auto* msg = reinterpret_cast<const MSG*>(lparam);
  if (code >= 0 && wparam == PM_REMOVE && msg->message == counted_message &&
      (counted_window == nullptr || msg->hwnd == counted_window)) {
    ++counted;
  }
  return CallNextHookEx(nullptr, code, wparam, lparam);
}

}  // namespace

RetrievalCounter::RetrievalCounter(HWND window, UINT message) {
  counted_window = window;
  counted_message = message;
  counted = 0;
  hook_ = SetWindowsHookExW(WH_GETMESSAGE, &count_retrievals, nullptr, GetCurrentThreadId());
}

RetrievalCounter::~RetrievalCounter() {
  if (hook_ != nullptr) UnhookWindowsHookEx(hook_);
}

int RetrievalCounter::taken() const {
  return counted;
}

HangRescuer::HangRescuer(std::chrono::milliseconds patience)
    : patience_(patience), thread_(GetCurrentThreadId()) {
  watcher_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (!armed_) {
        changed_.wait(lock);
        continue;
      }
      const auto give_up = armed_at_ + patience_;
      if (changed_.wait_until(lock, give_up) == std::cv_status::timeout && armed_ &&
          std::chrono::steady_clock::now() >= armed_at_ + patience_) {
        ++rescues_;
        PostThreadMessageW(thread_, WM_NULL, 0, 0);
        armed_at_ = std::chrono::steady_clock::now();
      }
    }
  });
}

HangRescuer::~HangRescuer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  watcher_.join();
}

void HangRescuer::arm() {
  {
    std::lock_guard lock(mutex_);
    armed_ = true;
    armed_at_ = std::chrono::steady_clock::now();
  }
  changed_.notify_all();
}

void HangRescuer::disarm() {
  {
    std::lock_guard lock(mutex_);
    armed_ = false;
  }
  changed_.notify_all();
}

}  // namespace runloop::test
