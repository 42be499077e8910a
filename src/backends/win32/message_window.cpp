#include "backends/win32/message_window.hpp"

#include <atomic>
#include <cstdint>
#include <cstdio>

namespace runloop::detail {
namespace {

// Classes registered by this load of the module. A plain static with constant
// initialisation: every module that embeds runloop has its own, and a reload starts at 0.
std::atomic<unsigned> registrations{0};

// Any function of ours: its address lies inside the module (DLL or EXE) that embeds us.
void module_anchor() {}

// The module that contains this code, not the process's executable. UNCHANGED_REFCOUNT:
// asking must not pin the module, or a plugin DLL could never be unloaded.
HMODULE this_module() {
  HMODULE module = nullptr;
  const auto address = reinterpret_cast<LPCWSTR>(reinterpret_cast<std::uintptr_t>(&module_anchor));
  if (!GetModuleHandleExW(
          GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
          address, &module)) {
    return nullptr;
  }
  return module;
}

// "runloop.<module address in hex>.<registration number>"
std::wstring make_class_name(HMODULE module, unsigned number) {
  static constexpr wchar_t kDigits[] = L"0123456789abcdef";
  std::wstring hex;
  for (auto value = reinterpret_cast<std::uintptr_t>(module); value != 0; value >>= 4) {
    hex.insert(hex.begin(), kDigits[value & 0xf]);
  }
  if (hex.empty()) hex = L"0";
  return L"runloop." + hex + L"." + std::to_wstring(number);
}

Result<void, Error> failure(const char* what) {
  // One line for whoever reads the host's log; the caller gets PlatformFailure.
  std::fprintf(stderr, "runloop: %s failed (Win32 error %lu)\n", what,
               static_cast<unsigned long>(GetLastError()));
  return Unexpected(Error::PlatformFailure);
}

}  // namespace

Result<void, Error> MessageWindow::create(WNDPROC procedure, void* user_data) {
  module_ = this_module();
  if (module_ == nullptr) return failure("GetModuleHandleExW");
  class_name_ = make_class_name(module_, registrations.fetch_add(1, std::memory_order_relaxed));

  WNDCLASSEXW window_class{};
  window_class.cbSize = sizeof(window_class);
  window_class.lpfnWndProc = procedure;
  window_class.hInstance = module_;
  window_class.lpszClassName = class_name_.c_str();
  if (RegisterClassExW(&window_class) == 0) return failure("RegisterClassExW");
  registered_ = true;

  // HWND_MESSAGE: never visible, not enumerated as a top-level window, receives only what is
  // posted or sent to it. User data is set after creation: the creation messages
  // (WM_NCCREATE, WM_CREATE, ...) go to DefWindowProcW, which is all they need.
  hwnd_ = CreateWindowExW(0, class_name_.c_str(), L"", 0, 0, 0, 0, 0, HWND_MESSAGE, nullptr,
                          module_, nullptr);
  if (hwnd_ == nullptr) {
    auto result = failure("CreateWindowExW");
    destroy();
    return result;
  }
  SetWindowLongPtrW(hwnd_, GWLP_USERDATA, reinterpret_cast<LONG_PTR>(user_data));
  return {};
}

void MessageWindow::destroy() noexcept {
  if (hwnd_ != nullptr) {
    // Messages still queued for the window, or dispatched to it while it is being destroyed,
    // find no user data and go to DefWindowProcW. Destroying the window also kills its
    // timers; Windows drops what was posted to it.
    SetWindowLongPtrW(hwnd_, GWLP_USERDATA, 0);
    DestroyWindow(hwnd_);
    hwnd_ = nullptr;
  }
  if (registered_) {
    // After this nothing of ours is left in the process's window manager: the module can
    // be unloaded, and a later load can register its class again.
    if (!UnregisterClassW(class_name_.c_str(), module_)) {
      std::fprintf(stderr, "runloop: UnregisterClassW failed (Win32 error %lu)\n",
                   static_cast<unsigned long>(GetLastError()));
    }
    registered_ = false;
  }
}

}  // namespace runloop::detail
