// White-box tests of the timer heap: randomised against a reference model, because its
// lazy cancellation (tombstones, deferred slot reuse, rebuilds) has many interleavings.
#include "core/timer_heap.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <utility>
#include <vector>

namespace runloop::detail {
namespace {

using Clock = TimerHeap::Clock;

Clock::time_point at(long ticks) {
  return Clock::time_point(Clock::duration(ticks));
}

TEST(TimerHeap, EqualDeadlinesPopInPushOrderAcrossCancels) {
  TimerHeap heap;
  std::vector<int> fired;
  std::vector<TimerHeap::Id> ids;
  for (int i = 0; i < 200; ++i)
    ids.push_back(heap.push(at(5), [&fired, i] { fired.push_back(i); }));
  for (int i = 0; i < 200; i += 3) heap.remove(ids[i]);  // tombstones, then a rebuild
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
  EXPECT_TRUE(heap.remove(first));
  EXPECT_FALSE(heap.remove(first));  // stale now
  EXPECT_FALSE(heap.contains(first));
  EXPECT_EQ(heap.next_deadline(), at(7));
  EXPECT_EQ(heap.size(), 1u);
}

TEST(TimerHeap, MatchesAReferenceModel) {
  for (unsigned seed = 0; seed < 40; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937 random(seed);
    const long range = 1 + (seed % 8) * 150;  // small ranges: many equal deadlines
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
        const TimerHeap::Id id = heap.push(at(deadline), [&fired, tag] { fired = tag; });
        entries.push_back({id, deadline, sequence, true});
        model[{deadline, sequence}] = tag;
      } else if (op < 7 && !entries.empty()) {
        Entry& entry = entries[random() % entries.size()];
        ASSERT_EQ(static_cast<bool>(heap.remove(entry.id)), entry.pending);
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
  }
}

}  // namespace
}  // namespace runloop::detail
