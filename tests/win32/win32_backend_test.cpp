// What only the Win32 backend can show: its window, its class and the messages it uses.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"
#include "win32_test_util.hpp"

namespace runloop::test {
namespace {

std::wstring hex(std::uintptr_t value) {
  static constexpr wchar_t kDigits[] = L"0123456789abcdef";
  std::wstring text;
  for (; value != 0; value >>= 4) text.insert(text.begin(), kDigits[value & 0xf]);
  return text;
}

TEST(Win32Backend, OneMessageOnlyWindowOfAClassRegisteredWithOurModule) {
  LoopFixture fixture;
  HWND window = our_window();
  ASSERT_NE(window, nullptr);
  // Found among the message-only windows, and its class belongs to the module that embeds
  // the library (here the test executable), named after it.
  const std::wstring name = class_name_of(window);
  EXPECT_EQ(
      name.rfind(L"runloop." + hex(reinterpret_cast<std::uintptr_t>(this_module())) + L".", 0), 0u)
      << std::string(name.begin(), name.end());
  EXPECT_EQ(GetWindowThreadProcessId(window, nullptr), GetCurrentThreadId());
  EXPECT_TRUE(class_registered(this_module(), name));
}

TEST(Win32Backend, EachLifetimeHasItsOwnClassAndDeinitUnregistersIt) {
  std::wstring first, second;
  {
    LoopFixture fixture;
    first = class_name_of(our_window());
  }
  EXPECT_FALSE(class_registered(this_module(), first)) << "class left registered after deinit";
  EXPECT_TRUE(runloop_windows_of(this_module()).empty()) << "window left after deinit";
  {
    LoopFixture fixture;
    second = class_name_of(our_window());
  }
  EXPECT_NE(first, second);
  EXPECT_FALSE(class_registered(this_module(), second));
}

TEST(Win32Backend, RegistrationFailureIsPlatformFailureAndChangesNothing) {
  std::wstring last;
  {
    LoopFixture fixture;
    last = class_name_of(our_window());
  }
  // Take the name the next registration of this module will use.
  const auto dot = last.rfind(L'.');
  const std::wstring next =
      last.substr(0, dot + 1) + std::to_wstring(std::stoul(last.substr(dot + 1)) + 1);
  WNDCLASSEXW squatter{};
  squatter.cbSize = sizeof(squatter);
  squatter.lpfnWndProc = DefWindowProcW;
  squatter.hInstance = this_module();
  squatter.lpszClassName = next.c_str();
  ASSERT_NE(RegisterClassExW(&squatter), 0);

  testing::internal::CaptureStderr();
  auto result = RunLoop::init();
  const std::string diagnostic = testing::internal::GetCapturedStderr();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), Error::PlatformFailure);
  EXPECT_NE(diagnostic.find("RegisterClassExW"), std::string::npos) << diagnostic;
  EXPECT_FALSE(RunLoop::is_run_loop_thread());
  EXPECT_EQ(RunLoop::try_current().error(), Error::NotInitialized);
  EXPECT_TRUE(runloop_windows_of(this_module()).empty());

  ASSERT_TRUE(UnregisterClassW(next.c_str(), this_module()));
  LoopFixture fixture;  // later attempts use fresh names and succeed
  EXPECT_NE(our_window(), nullptr);
}

TEST(Win32Backend, ManySendsLeaveOneWakeMessageInTheQueue) {
  LoopFixture fixture;
  HWND window = our_window();
  ASSERT_NE(window, nullptr);
  int ran = 0;
  std::thread([sender = RunLoop::sender(), &ran] {
    for (int i = 0; i < 10'000; ++i) sender.send([&ran] { ++ran; });
  }).join();
  for (int i = 0; i < 100; ++i) RunLoop::sender().send([&ran] { ++ran; });  // loop thread too
  // Nothing has been pumped: take what waits for our window, count it, and put it back.
  std::vector<MSG> queued;
  MSG msg;
  while (PeekMessageW(&msg, window, 0, 0, PM_REMOVE)) queued.push_back(msg);
  for (const MSG& m : queued) PostMessageW(m.hwnd, m.message, m.wParam, m.lParam);
  EXPECT_EQ(queued.size(), 1u);
  EXPECT_TRUE(host_pump_until([&] { return ran == 10'100; }));
}

TEST(Win32Backend, HostDrivenTimersArriveAsWmTimerOnOurWindow) {
  LoopFixture fixture;
  HWND window = our_window();
  int timer_messages = 0;
  const auto start = RunLoop::Clock::now();
  RunLoop::Clock::time_point fired_at{};
  auto handle = fixture.loop().schedule(30ms, [&] { fired_at = RunLoop::Clock::now(); });
  EXPECT_TRUE(host_pump_until([&] { return fired_at != RunLoop::Clock::time_point{}; }, 10s,
                              [&](const MSG& m) {
                                if (m.hwnd == window && m.message == WM_TIMER) ++timer_messages;
                              }));
  EXPECT_GE(timer_messages, 1);
  EXPECT_GE(fired_at - start, 30ms);
}

TEST(Win32Backend, StrayAndStaleWmTimersRunNothingEarly) {
  LoopFixture fixture;
  HWND window = our_window();
  bool cancelled_ran = false;
  bool fired = false;
  auto cancelled = fixture.loop().schedule(15ms, [&] { cancelled_ran = true; });
  cancelled.cancel();  // its native timer stays armed: the WM_TIMER finds nothing due
  auto later = fixture.loop().schedule(300ms, [&] { fired = true; });
  for (UINT_PTR id : {UINT_PTR{1}, UINT_PTR{2}, UINT_PTR{3}, UINT_PTR{12345}}) {
    PostMessageW(window, WM_TIMER, id, 0);
  }
  host_pump_for(100ms);
  EXPECT_FALSE(cancelled_ran);
  EXPECT_FALSE(fired);
  EXPECT_TRUE(host_pump_until([&] { return fired; }));
}

TEST(Win32Backend, WmQuitEndsEveryRunAndIsRepostedForTheHost) {
  LoopFixture fixture;
  auto& loop = fixture.loop();
  int inner_returned = 0;
  auto outer = loop.schedule(0ms, [&] {
    auto quit = loop.schedule(1ms, [] { PostQuitMessage(7); });
    loop.run();  // a modal loop of ours: ends on WM_QUIT
    ++inner_returned;
  });
  loop.run();  // ends too: the inner level put the WM_QUIT back
  EXPECT_EQ(inner_returned, 1);
  MSG msg;
  ASSERT_TRUE(PeekMessageW(&msg, nullptr, WM_QUIT, WM_QUIT, PM_REMOVE)) << "WM_QUIT swallowed";
  EXPECT_EQ(msg.wParam, 7u);
}

TEST(Win32Backend, DeinitFromACallbackDispatchedByTheHostPump) {
  ASSERT_TRUE(RunLoop::init());
  bool deinit_done = false;
  bool after_ran = false;
  RunLoop::sender().send([&] {
    RunLoop::deinit();  // our window is destroyed while its procedure is on the stack
    deinit_done = true;
  });
  RunLoop::sender().send([&] { after_ran = true; });
  EXPECT_TRUE(host_pump_until([&] { return deinit_done; }));
  host_pump_for(30ms);
  EXPECT_FALSE(after_ran);
  EXPECT_FALSE(RunLoop::try_current());
  EXPECT_TRUE(runloop_windows_of(this_module()).empty());
}

TEST(Win32Backend, DeinitFromATimerDispatchedByTheHostPump) {
  ASSERT_TRUE(RunLoop::init());
  bool deinit_done = false;
  RunLoop::current()
      .schedule(12ms,
                [&] {
                  RunLoop::deinit();
                  deinit_done = true;
                })
      .detach();
  EXPECT_TRUE(host_pump_until([&] { return deinit_done; }));
  host_pump_for(30ms);
  EXPECT_TRUE(runloop_windows_of(this_module()).empty());
}

}  // namespace
}  // namespace runloop::test
