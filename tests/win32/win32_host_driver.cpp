// The conformance suite's host: one iteration of a plain Win32 message pump, as a host
// application (or a plugin host) runs it. run() is never involved.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include "host_drive.hpp"

namespace runloop::test {

void host_iterate(bool may_block) {
  MSG msg;
  if (may_block) {
    if (GetMessageW(&msg, nullptr, 0, 0) <= 0) return;  // WM_QUIT (or an error): nothing to run
  } else if (!PeekMessageW(&msg, nullptr, 0, 0, PM_REMOVE)) {
    return;
  }
  TranslateMessage(&msg);
  DispatchMessageW(&msg);
}

std::function<void()> host_waker() {
  const DWORD thread = GetCurrentThreadId();
  return [thread] { PostThreadMessageW(thread, WM_NULL, 0, 0); };
}

const char* backend_name() {
  return "win32";
}

bool host_loop_is_reentrant() {
  return true;
}

namespace {

constexpr UINT kHostMessage = WM_APP + 77;
constexpr wchar_t kClassName[] = L"runloop_test_host_activity";

// The host's own stream of posted messages: each one posts the next, so one is always
// queued beside ours.
LRESULT CALLBACK activity_procedure(HWND hwnd, UINT message, WPARAM wparam, LPARAM lparam) {
  if (message == kHostMessage) {
    ++*reinterpret_cast<int*>(GetWindowLongPtrW(hwnd, GWLP_USERDATA));
    PostMessageW(hwnd, kHostMessage, 0, 0);
    return 0;
  }
  return DefWindowProcW(hwnd, message, wparam, lparam);
}

}  // namespace

struct HostActivity::Impl {
  HWND window = nullptr;
  int runs = 0;
};

HostActivity::HostActivity() : impl_(new Impl) {
  WNDCLASSEXW window_class{};
  window_class.cbSize = sizeof(window_class);
  window_class.lpfnWndProc = &activity_procedure;
  window_class.hInstance = GetModuleHandleW(nullptr);
  window_class.lpszClassName = kClassName;
  RegisterClassExW(&window_class);  // fails harmlessly when already registered
  impl_->window = CreateWindowExW(0, kClassName, L"", 0, 0, 0, 0, 0, HWND_MESSAGE, nullptr,
                                  window_class.hInstance, nullptr);
  SetWindowLongPtrW(impl_->window, GWLP_USERDATA, reinterpret_cast<LONG_PTR>(&impl_->runs));
  PostMessageW(impl_->window, kHostMessage, 0, 0);
}

HostActivity::~HostActivity() {
  DestroyWindow(impl_->window);  // drops what is still posted to it
}

int HostActivity::runs() const {
  return impl_->runs;
}

}  // namespace runloop::test
