#pragma once

// Work a test plugin module leaves on its loop, shared by the modules of tests/plugin and
// tests/host_driven (each module compiles its own copy, with hidden visibility): what the
// loop's last deinit() must destroy unrun, and a task that is always suspended on a delay().
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <utility>

#include "runloop/runloop.hpp"

namespace runloop::test {

// How many tracked items ran and how many were destroyed unrun.
struct PendingCounts {
  std::atomic<std::uint64_t> ran{0};
  std::atomic<std::uint64_t> destroyed{0};
};

// A callable that counts, into `counts`, whether it ran or was destroyed unrun. A moved-from
// one counts nothing: each item is counted once, wherever the loop moved it.
class Tracked {
 public:
  explicit Tracked(PendingCounts& counts) : counts_(&counts) {}
  Tracked(Tracked&& other) noexcept : counts_(std::exchange(other.counts_, nullptr)) {}
  Tracked& operator=(Tracked&&) = delete;
  ~Tracked() {
    if (counts_ != nullptr) ++counts_->destroyed;
  }
  void operator()() { ++std::exchange(counts_, nullptr)->ran; }

 private:
  PendingCounts* counts_;
};

// Calls step() every `period`, until aborted.
template <class Step>
Task<void> step_forever(RunLoop loop, std::chrono::milliseconds period, Step step) {
  for (;;) {
    co_await loop.delay(period);
    step();
  }
}

// `tracked` is a parameter, so it lives in the frame from the start: deinit() destroys the
// frame of a task that has not run yet, too.
inline Task<void> hold_tracked(RunLoop loop, Tracked tracked) {
  co_await loop.delay(std::chrono::hours(1));
  tracked();
}

// Internal linkage, unlike the rest: GCC gives the std::thread state instantiated over a
// lambda of an inline function default visibility even under -fvisibility=hidden, so a module
// would export it for another to bind to (tests/plugin/module_symbols_test.cpp).
namespace {

// Leaves tracked work on the calling thread's loop, all of it still pending when that loop's
// last deinit() comes: a far timer, a task suspended on a far delay, and `burst` sends from
// another thread (the cross-thread mailbox) and `burst` from the loop thread (its own queue:
// a send there never runs inline). Returns how many items it left.
inline unsigned leave_tracked_work(PendingCounts& counts, unsigned burst) {
  const auto loop = RunLoop::current();
  const auto sender = RunLoop::sender();
  loop.schedule(std::chrono::hours(1), Tracked(counts)).detach();
  (void)loop.spawn(hold_tracked(loop, Tracked(counts)));
  std::thread([&sender, &counts, burst] {
    for (unsigned i = 0; i < burst; ++i) sender.send(Tracked(counts));
  }).join();
  for (unsigned i = 0; i < burst; ++i) sender.send(Tracked(counts));
  return 2 + 2 * burst;
}

}  // namespace

}  // namespace runloop::test
