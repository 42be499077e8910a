// White-box tests of the type-erased callable: inline or on the heap, moved by a byte copy
// or by its move constructor, destroyed exactly once.
#include "runloop/detail/callback.hpp"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace runloop::detail {
namespace {

TEST(Callback, PlainLambdaNeedsNoDestructionAndSurvivesMoves) {
  int calls = 0;
  Callback a = [&calls, add = 2] { calls += add; };
  EXPECT_TRUE(a.trivially_destructible());
  Callback b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  Callback c;
  c = std::move(b);
  c();
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(Callback().trivially_destructible());
}

TEST(Callback, OwningLambdaIsMovedAndDestroyedOnce) {
  auto owned = std::make_shared<std::string>("kept");
  std::string seen;
  {
    Callback a = [owned, &seen] { seen = *owned; };
    EXPECT_FALSE(a.trivially_destructible());
    EXPECT_EQ(owned.use_count(), 2);
    std::vector<Callback> moved;
    for (int i = 0; i < 100; ++i) moved.push_back(std::move(i == 0 ? a : moved.back()));
    EXPECT_EQ(owned.use_count(), 2);  // relocated, never copied
    moved.back()();
    EXPECT_EQ(seen, "kept");
  }
  EXPECT_EQ(owned.use_count(), 1);
}

TEST(Callback, BigCallableLivesOnTheHeapAndIsDestroyedOnce) {
  auto owned = std::make_shared<int>(5);
  int result = 0;
  {
    std::array<int, 16> big{};
    big[3] = 4;
    Callback a = [owned, big, &result] { result = *owned + big[3]; };
    EXPECT_FALSE(a.trivially_destructible());
    Callback b = std::move(a);
    b();
    EXPECT_EQ(result, 9);
    EXPECT_EQ(owned.use_count(), 2);
    b.reset();
    EXPECT_EQ(owned.use_count(), 1);
    b.reset();  // idempotent
  }
  EXPECT_EQ(owned.use_count(), 1);
}

TEST(Callback, AssigningOverACallbackDestroysTheOldOne) {
  auto first = std::make_shared<int>(1);
  Callback a = [first] {};
  a = Callback([] {});
  EXPECT_EQ(first.use_count(), 1);
  EXPECT_TRUE(a.trivially_destructible());
}

// The largest inline callable: exactly kInlineSize bytes, trivially copyable.
TEST(Callback, InlineCapacityIsUsedWhole) {
  std::array<char, Callback::kInlineSize - sizeof(int*)> bytes{};
  bytes.back() = 7;
  int out = 0;
  int* target = &out;
  auto f = [bytes, target] { *target = bytes.back(); };
  static_assert(sizeof(f) == Callback::kInlineSize);
  Callback a = f;
  EXPECT_TRUE(a.trivially_destructible());  // inline: no heap block to free
  Callback b = std::move(a);
  b();
  EXPECT_EQ(out, 7);
}

}  // namespace
}  // namespace runloop::detail
