#pragma once

// What runloop's two contenders share in the loop-based cases (the Loop of harness.hpp): its
// GLib mode (runloop_cases.cpp) and its host-driven mode (host_driven_cases.cpp) differ only
// in how the loop is acquired and how its thread runs it.
#include <utility>

#include "runloop/runloop.hpp"

namespace bench {

// A loop acquired on this thread, and its Sender. Every send goes through the Sender, the
// loop thread's own too: a send there queues, it never runs inline.
struct AcquiredLoop {
  explicit AcquiredLoop(runloop::RunLoopGuard acquired) : guard(std::move(acquired)) {}

  template <class F>
  void send(F&& f) const {
    sender.send(std::forward<F>(f));
  }
  template <class F>
  void send_here(F&& f) const {
    sender.send(std::forward<F>(f));
  }

  runloop::RunLoopGuard guard;
  runloop::RunLoop loop = runloop::RunLoop::current();
  runloop::Sender sender = runloop::RunLoop::sender();
};

}  // namespace bench
