// White-box tests of the timer heap: randomised against a reference model, because its
// lazy cancellation (tombstones, deferred slot reuse, rebuilds) has many interleavings.
#include "core/timer_heap.hpp"

#include <gtest/gtest.h>

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define RUNLOOP_TEST_COUNTS_ALLOCATIONS 1
#endif

#include <array>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <map>
#include <memory>
#include <new>
#include <random>
#include <utility>
#include <vector>

namespace runloop::detail {
namespace {

using Clock = TimerHeap::Clock;

// Nanoseconds of the steady clock: 64 bits everywhere (a long is 32 bits on Windows).
using Ticks = std::int64_t;
constexpr Ticks kNever = INT64_MAX;

Clock::time_point at(Ticks ticks) {
  return Clock::time_point(Clock::duration(ticks));
}

bool cancel(TimerHeap& heap, TimerHeap::Id id) {
  Callback out;
  return heap.remove(id, out);
}

// While set, every nothrow allocation fails (see operator new below): a wheel bucket that
// cannot grow.
bool fail_nothrow_new = false;
// Allocations through operator new so far, where this binary can count them (see below):
// glibc without a sanitizer, whose runtime interposes the allocator itself.
std::size_t allocations = 0;

// Wheel shapes (bucket_bits, ring_bits). The default puts every tick-sized deadline below in
// one bucket; the small ones move the window, spill into the heap and back, and wrap the
// ring, all the time.
struct Shape {
  unsigned bucket_bits, ring_bits;
};
constexpr Shape kShapes[] = {{20, 10}, {0, 0}, {0, 3}, {2, 3}, {3, 6}, {1, 7}};

TEST(TimerHeap, EqualDeadlinesPopInPushOrderAcrossCancels) {
  TimerHeap heap;
  std::vector<int> fired;
  std::vector<TimerHeap::Id> ids;
  for (int i = 0; i < 200; ++i)
    ids.push_back(heap.push(at(5), [&fired, i] { fired.push_back(i); }));
  for (int i = 0; i < 200; i += 3) cancel(heap, ids[i]);  // tombstones, then a rebuild
  for (int i = 0; i < 50; ++i) heap.push(at(5), [&fired, i] { fired.push_back(1000 + i); });
  Callback callback;
  while (heap.pop_due(at(5), heap.next_sequence(), callback)) {
    callback();
    callback.reset();
  }
  std::vector<int> expected;
  for (int i = 0; i < 200; ++i) {
    if (i % 3 != 0) expected.push_back(i);
  }
  for (int i = 0; i < 50; ++i) expected.push_back(1000 + i);
  EXPECT_EQ(fired, expected);
  EXPECT_TRUE(heap.empty());
}

TEST(TimerHeap, CancellingTheEarliestExposesTheNextDeadline) {
  TimerHeap heap;
  const TimerHeap::Id first = heap.push(at(1), [] {});
  heap.push(at(7), [] {});
  EXPECT_EQ(heap.next_deadline(), at(1));
  EXPECT_TRUE(cancel(heap, first));
  EXPECT_FALSE(cancel(heap, first));  // stale now
  EXPECT_FALSE(heap.contains(first));
  EXPECT_EQ(heap.next_deadline(), at(7));
  EXPECT_EQ(heap.size(), 1u);
}

std::array<char, 32> signature(int tag) {
  std::array<char, 32> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>(tag + static_cast<int>(i));
  return bytes;
}

TEST(TimerHeap, MatchesAReferenceModel) {
  for (unsigned seed = 0; seed < 40 * std::size(kShapes); ++seed) {
    const Shape shape = kShapes[seed % std::size(kShapes)];
    SCOPED_TRACE(testing::Message()
                 << "seed " << seed << ", wheel " << shape.bucket_bits << "/" << shape.ring_bits);
    std::mt19937 random(seed);
    const Ticks range = 1 + (seed / std::size(kShapes) % 8) * 150;  // small: many ties
    auto owned = std::make_shared<int>(-1);  // where the callbacks write their tags
    int* const sink = owned.get();
    TimerHeap heap(shape.bucket_bits, shape.ring_bits);
    std::map<std::pair<Ticks, std::uint64_t>, int> model;  // (deadline, sequence) -> tag
    struct Entry {
      TimerHeap::Id id;
      Ticks deadline;
      std::uint64_t sequence;
      bool pending;
    };
    std::vector<Entry> entries;
    for (int step = 0; step < 5000; ++step) {
      const unsigned op = random() % 10;
      if (op < 4) {
        // Now and then a deadline far out of the window: long ago, in an hour, or never.
        constexpr Ticks kFar[] = {-3'600'000'000'000, -1, 3'600'000'000'000, kNever};
        const Ticks deadline =
            random() % 25 == 0 ? kFar[random() % 4] : static_cast<Ticks>(random() % range);
        const int tag = static_cast<int>(entries.size());
        const std::uint64_t sequence = heap.next_sequence();
        // Every kind of callable the store keeps apart: plain (nothing to destroy) or owning,
        // in one cell (<= 24 bytes), in two (<= 48), or on the heap.
        TimerHeap::Id id;
        switch (random() % 5) {
          case 0:
            id = heap.push(at(deadline), [sink, tag] { *sink = tag; });
            break;
          case 1:
            // Its last bytes say whose they are: a move that copies too few loses them.
            id = heap.push(at(deadline), [sink, tag, pad = signature(tag)] {
              *sink = pad == signature(tag) ? tag : -2;
            });
            break;
          case 2:
            id = heap.push(at(deadline), [owned, tag] { *owned = tag; });
            break;
          case 3:
            id = heap.push(at(deadline), [owned, tag, sink] { *sink = tag + (owned ? 0 : 1); });
            break;
          default:
            id = heap.push(at(deadline), [sink, tag, owned, big = std::array<char, 64>{}] {
              *sink = tag + big[0] + (owned ? 0 : 1);
            });
        }
        entries.push_back({id, deadline, sequence, true});
        model[{deadline, sequence}] = tag;
      } else if (op < 7 && !entries.empty()) {
        Entry& entry = entries[random() % entries.size()];
        ASSERT_EQ(cancel(heap, entry.id), entry.pending);
        if (entry.pending) model.erase({entry.deadline, entry.sequence});
        entry.pending = false;
      } else if (op < 9) {
        const Ticks now = random() % 50 == 0 ? kNever : static_cast<Ticks>(random() % range);
        const std::uint64_t limit = heap.next_sequence() - (random() % 3 == 0 ? random() % 5 : 0);
        Callback callback;
        for (;;) {
          const bool expected = !model.empty() && model.begin()->first.first <= now &&
                                model.begin()->first.second < limit;
          const bool popped = heap.pop_due(at(now), limit, callback);
          ASSERT_EQ(popped, expected);
          if (!popped) break;
          callback();
          callback.reset();
          const int fired = *sink;
          ASSERT_EQ(fired, model.begin()->second);
          entries[fired].pending = false;
          model.erase(model.begin());
        }
      } else {
        ASSERT_EQ(heap.size(), model.size());
        ASSERT_EQ(heap.next_deadline().has_value(), !model.empty());
        if (!model.empty()) {
          ASSERT_EQ(*heap.next_deadline(), at(model.begin()->first.first));
        }
        for (const Entry& entry : entries) ASSERT_EQ(heap.contains(entry.id), entry.pending);
      }
    }
    EXPECT_EQ(heap.take_all().size(), model.size());
    EXPECT_TRUE(heap.empty());
    for (const Entry& entry : entries) EXPECT_FALSE(heap.contains(entry.id));
    // Every owning callback was destroyed exactly once: fired, cancelled or taken.
    EXPECT_EQ(owned.use_count(), 1);
  }
}

// Cancelling a timer whose callback needs no destruction does not touch the callback; one
// that does (it owns something, or lives on the heap) is handed out, destroyed by the caller.
TEST(TimerHeap, RemoveHandsOutOnlyCallbacksThatNeedDestroying) {
  TimerHeap heap;
  auto owned = std::make_shared<int>(0);
  const TimerHeap::Id plain = heap.push(at(1), [] {});
  const TimerHeap::Id owning = heap.push(at(2), [owned] {});
  const TimerHeap::Id big = heap.push(at(3), [big = std::array<char, 64>{}] { (void)big; });
  EXPECT_EQ(owned.use_count(), 2);

  Callback out;
  EXPECT_TRUE(heap.remove(plain, out));
  EXPECT_FALSE(out);
  EXPECT_TRUE(heap.remove(owning, out));
  EXPECT_TRUE(out);
  EXPECT_EQ(owned.use_count(), 2);  // the caller destroys it, after the heap is consistent
  out.reset();
  EXPECT_EQ(owned.use_count(), 1);
  EXPECT_TRUE(heap.remove(big, out));
  EXPECT_TRUE(out);
  out.reset();
  EXPECT_FALSE(heap.remove(plain, out));
  EXPECT_TRUE(heap.empty());
}

// A cancelled plain callback stays in its slot, dead: the next timer there must run only its
// own callback, and a heap destroyed with pending timers destroys their callbacks.
TEST(TimerHeap, ReusedSlotRunsOnlyTheNewCallback) {
  auto owned = std::make_shared<int>(0);
  int ran = 0;
  {
    TimerHeap heap;
    const TimerHeap::Id first = heap.push(at(1), [&ran] { ran += 1; });
    ASSERT_TRUE(cancel(heap, first));
    const TimerHeap::Id second = heap.push(at(1), [&ran] { ran += 10; });
    EXPECT_EQ(second.slot, first.slot);  // reused, with a new generation
    EXPECT_NE(second.generation, first.generation);
    EXPECT_FALSE(heap.contains(first));
    Callback callback;
    ASSERT_TRUE(heap.pop_due(at(1), heap.next_sequence(), callback));
    callback();
    EXPECT_EQ(ran, 10);
    EXPECT_FALSE(heap.pop_due(at(1), heap.next_sequence(), callback));

    heap.push(at(5), [owned] {});
    heap.push(at(6), [owned, big = std::array<char, 64>{}] { (void)big; });
    EXPECT_EQ(owned.use_count(), 3);
  }
  EXPECT_EQ(owned.use_count(), 1);
}

// A deadline earlier than the window moves it back; the timers past the shorter window go to
// the heap and come back as the window reaches them. A timer that never fires stays behind.
TEST(TimerHeap, AnEarlierDeadlineMovesTheWindowBack) {
  TimerHeap heap(0, 3);  // 1 ns buckets, 8 of them
  std::vector<Ticks> fired;
  const auto push = [&](Ticks deadline) {
    heap.push(at(deadline), [&fired, deadline] { fired.push_back(deadline); });
  };
  push(20);
  push(25);
  push(kNever);
  push(5);   // the window moves back to [5, 13): 20 and 25 go to the heap
  push(12);  // the window's last bucket
  push(6);
  EXPECT_EQ(heap.next_deadline(), at(5));
  Callback callback;
  for (const Ticks now : {Ticks{5}, Ticks{12}, Ticks{24}, Ticks{100}}) {
    while (heap.pop_due(at(now), heap.next_sequence(), callback)) callback();
    ASSERT_TRUE(heap.next_deadline().has_value());
    EXPECT_GT(*heap.next_deadline(), at(now));
  }
  EXPECT_EQ(fired, (std::vector<Ticks>{5, 6, 12, 20, 25}));
  EXPECT_EQ(heap.next_deadline(), at(kNever));
  EXPECT_EQ(heap.size(), 1u);
}

// A periodic timer moves on to the next bucket at every tick; the emptied bucket's storage
// goes to the next one, so that ticking allocates nothing, on the ring's first turn too.
TEST(TimerHeap, APeriodicTimerAllocatesOnlyOnItsFirstTick) {
#if !defined(RUNLOOP_TEST_COUNTS_ALLOCATIONS)
  GTEST_SKIP() << "allocations are counted with glibc and without sanitizers only";
#endif
  TimerHeap heap(2, 4);  // 4 ns buckets, 16 of them
  int ticks = 0;
  heap.push(at(0), [&ticks] { ++ticks; });
  Callback callback;
  std::size_t after_first = 0;
  for (Ticks now = 0; now < 200; now += 5) {  // 40 ticks: two and a half turns of the ring
    ASSERT_TRUE(heap.pop_due(at(now), heap.next_sequence(), callback));
    callback();
    heap.push(at(now + 5), std::move(callback));
    if (now == 0) after_first = allocations;
  }
  EXPECT_EQ(ticks, 40);
  EXPECT_EQ(allocations, after_first);
}

// Timers the window reaches move from the heap into the wheel; when their bucket cannot
// grow they stay in the heap, and the heap's and the wheel's timers still pop in order.
TEST(TimerHeap, TimersThatFindNoRoomInTheWheelStayInOrder) {
  TimerHeap heap(0, 3);  // 1 ns buckets, 8 of them
  std::vector<int> fired;
  heap.push(at(0), [&fired] { fired.push_back(0); });
  heap.push(at(10), [&fired] { fired.push_back(10); });  // past the window: the heap
  heap.push(at(11), [&fired] { fired.push_back(11); });
  Callback callback;
  fail_nothrow_new = true;  // the window moves to 10, but 10's bucket cannot grow
  ASSERT_TRUE(heap.pop_due(at(0), heap.next_sequence(), callback));
  fail_nothrow_new = false;
  callback();
  heap.push(at(20), [&fired] { fired.push_back(20); });  // into the wheel, after the heap's
  EXPECT_EQ(heap.next_deadline(), at(10));
  while (heap.pop_due(at(100), heap.next_sequence(), callback)) callback();
  EXPECT_EQ(fired, (std::vector<int>{0, 10, 11, 20}));
}

// Many levels deep, with ties, tombstones and rebuilds: pops come out in exact order, and
// every callback that needs destroying is destroyed once.
void large_heap_pops_in_exact_order(Shape shape);

TEST(TimerHeap, LargeHeapPopsInExactOrder) {
  for (const Shape shape : {Shape{20, 10}, Shape{4, 5}, Shape{0, 10}}) {
    SCOPED_TRACE(testing::Message() << "wheel " << shape.bucket_bits << "/" << shape.ring_bits);
    large_heap_pops_in_exact_order(shape);
  }
}

void large_heap_pops_in_exact_order(Shape shape) {
  std::mt19937 random(7);
  auto owned = std::make_shared<int>(0);
  TimerHeap heap(shape.bucket_bits, shape.ring_bits);
  std::map<std::pair<Ticks, std::uint64_t>, int> model;  // (deadline, sequence) -> tag
  std::vector<TimerHeap::Id> ids;
  int fired = -1;
  constexpr int kCount = 50'000;
  for (int tag = 0; tag < kCount; ++tag) {
    const Ticks deadline = static_cast<Ticks>(random() % 2000);  // ~25 timers per deadline
    model[{deadline, heap.next_sequence()}] = tag;
    ids.push_back(tag % 3 == 0 ? heap.push(at(deadline), [&fired, tag, owned] { fired = tag; })
                               : heap.push(at(deadline), [&fired, tag] { fired = tag; }));
  }
  std::vector<std::pair<Ticks, std::uint64_t>> keys;
  for (const auto& entry : model) keys.push_back(entry.first);
  std::shuffle(keys.begin(), keys.end(), random);
  for (std::size_t k = 0; k < keys.size() * 2 / 3; ++k) {  // through several rebuilds
    ASSERT_TRUE(cancel(heap, ids[model[keys[k]]]));
    model.erase(keys[k]);
  }
  ASSERT_EQ(heap.size(), model.size());
  Callback callback;
  for (Ticks now = 0; now < 2000; now += 7) {  // in steps, as a loop pops
    while (heap.pop_due(at(now), heap.next_sequence(), callback)) {
      callback();
      callback.reset();
      ASSERT_FALSE(model.empty());
      ASSERT_LE(model.begin()->first.first, now);
      ASSERT_EQ(fired, model.begin()->second);
      model.erase(model.begin());
    }
    ASSERT_TRUE(model.empty() || model.begin()->first.first > now);
  }
  while (heap.pop_due(at(2000), heap.next_sequence(), callback)) {
    callback();
    callback.reset();
    ASSERT_EQ(fired, model.begin()->second);
    model.erase(model.begin());
  }
  EXPECT_TRUE(model.empty());
  EXPECT_TRUE(heap.empty());
  EXPECT_EQ(owned.use_count(), 1);
}

}  // namespace
}  // namespace runloop::detail

#if defined(RUNLOOP_TEST_COUNTS_ALLOCATIONS)
// The plain forms count allocations. Not inlined: GCC would take free() in an operator
// delete inlined after a new-expression for a mismatch.
[[gnu::noinline]] void* operator new(std::size_t size) {
  ++runloop::detail::allocations;
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* memory) noexcept {
  std::free(memory);
}
[[gnu::noinline]] void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}
#endif

// The nothrow form (what a bucket that may fail to grow uses) can be made to fail, and
// otherwise goes through the plain one.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (runloop::detail::fail_nothrow_new) return nullptr;
  try {
    return ::operator new(size);
  } catch (...) {
    return nullptr;
  }
}
