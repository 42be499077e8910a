// Exceptions escaping callbacks reach the handler; the loop keeps running.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace runloop::test {
namespace {

class ExceptionTest : public ::testing::Test {
 protected:
  void TearDown() override { set_exception_handler(nullptr); }
};

TEST_F(ExceptionTest, ScheduleAndSendExceptionsGoToTheHandler) {
  LoopFixture fixture;
  std::vector<std::string> caught;
  set_exception_handler([&](std::exception_ptr e) { caught.push_back(message_of(e)); });
  auto a = fixture.loop().schedule(0ms, [] { throw std::runtime_error("from timer"); });
  RunLoop::sender().send([] { throw std::logic_error("from send"); });
  std::thread([sender = RunLoop::sender()] {
    sender.send([] { throw std::runtime_error("from thread"); });
  }).join();
  bool still_running = false;
  auto b = fixture.loop().schedule(5ms, [&] { still_running = true; });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return still_running && caught.size() == 3; }));
  std::sort(caught.begin(), caught.end());
  EXPECT_EQ(caught, (std::vector<std::string>{"from send", "from thread", "from timer"}));
}

TEST_F(ExceptionTest, NonStandardExceptionsAndAThrowingHandlerAreContained) {
  LoopFixture fixture;
  int calls = 0;
  set_exception_handler([&](std::exception_ptr) {
    ++calls;
    throw 7;
  });
  auto a = fixture.loop().schedule(0ms, [] { throw 42; });
  bool after = false;
  auto b = fixture.loop().schedule(2ms, [&] { after = true; });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return after; }));
  EXPECT_EQ(calls, 1);
}

TEST_F(ExceptionTest, DefaultHandlerPrintsOneLine) {
  LoopFixture fixture;
  testing::internal::CaptureStderr();
  auto a = fixture.loop().schedule(0ms, [] { throw std::runtime_error("visible"); });
  bool after = false;
  auto b = fixture.loop().schedule(2ms, [&] { after = true; });
  ASSERT_TRUE(run_until(fixture.loop(), [&] { return after; }));
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("visible"), std::string::npos) << err;
}

}  // namespace
}  // namespace runloop::test
