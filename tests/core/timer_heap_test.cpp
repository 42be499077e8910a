// White-box tests of the timer heap: randomised against a reference model, because its
// lazy cancellation (tombstones, deferred slot reuse, rebuilds) has many interleavings.
#include "core/timer_heap.hpp"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <memory>
#include <random>
#include <utility>
#include <vector>

namespace runloop::detail {
namespace {

using Clock = TimerHeap::Clock;

Clock::time_point at(long ticks) {
  return Clock::time_point(Clock::duration(ticks));
}

bool cancel(TimerHeap& heap, TimerHeap::Id id) {
  Callback out;
  return heap.remove(id, out);
}

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

TEST(TimerHeap, MatchesAReferenceModel) {
  for (unsigned seed = 0; seed < 40; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937 random(seed);
    const long range = 1 + (seed % 8) * 150;  // small ranges: many equal deadlines
    auto owned = std::make_shared<int>(0);
    TimerHeap heap;
    std::map<std::pair<long, std::uint64_t>, int> model;  // (deadline, sequence) -> tag
    struct Entry {
      TimerHeap::Id id;
      long deadline;
      std::uint64_t sequence;
      bool pending;
    };
    std::vector<Entry> entries;
    int fired = -1;
    for (int step = 0; step < 5000; ++step) {
      const unsigned op = random() % 10;
      if (op < 4) {
        const long deadline = static_cast<long>(random() % range);
        const int tag = static_cast<int>(entries.size());
        const std::uint64_t sequence = heap.next_sequence();
        // Half the callbacks are not plain (they own a reference), some too big to be inline.
        const TimerHeap::Id id =
            random() % 2 == 0 ? heap.push(at(deadline), [&fired, tag] { fired = tag; })
            : random() % 4 == 0
                ? heap.push(at(deadline),
                            [&fired, tag, owned, big = std::array<char, 64>{}] {
                              fired = tag + big[0] + (owned ? 0 : 1);
                            })
                : heap.push(at(deadline), [&fired, tag, owned] { fired = tag + (owned ? 0 : 1); });
        entries.push_back({id, deadline, sequence, true});
        model[{deadline, sequence}] = tag;
      } else if (op < 7 && !entries.empty()) {
        Entry& entry = entries[random() % entries.size()];
        ASSERT_EQ(cancel(heap, entry.id), entry.pending);
        if (entry.pending) model.erase({entry.deadline, entry.sequence});
        entry.pending = false;
      } else if (op < 9) {
        const long now = static_cast<long>(random() % range);
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

// Many levels deep, with ties, tombstones and rebuilds: pops come out in exact order, and
// every callback that needs destroying is destroyed once.
TEST(TimerHeap, LargeHeapPopsInExactOrder) {
  std::mt19937 random(7);
  auto owned = std::make_shared<int>(0);
  TimerHeap heap;
  std::map<std::pair<long, std::uint64_t>, int> model;  // (deadline, sequence) -> tag
  std::vector<TimerHeap::Id> ids;
  int fired = -1;
  constexpr int kCount = 50'000;
  for (int tag = 0; tag < kCount; ++tag) {
    const long deadline = static_cast<long>(random() % 2000);  // ~25 timers per deadline
    model[{deadline, heap.next_sequence()}] = tag;
    ids.push_back(tag % 3 == 0 ? heap.push(at(deadline), [&fired, tag, owned] { fired = tag; })
                               : heap.push(at(deadline), [&fired, tag] { fired = tag; }));
  }
  std::vector<std::pair<long, std::uint64_t>> keys;
  for (const auto& entry : model) keys.push_back(entry.first);
  std::shuffle(keys.begin(), keys.end(), random);
  for (std::size_t k = 0; k < keys.size() * 2 / 3; ++k) {  // through several rebuilds
    ASSERT_TRUE(cancel(heap, ids[model[keys[k]]]));
    model.erase(keys[k]);
  }
  ASSERT_EQ(heap.size(), model.size());
  Callback callback;
  for (long now = 0; now < 2000; now += 7) {  // in steps, as a loop pops
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
