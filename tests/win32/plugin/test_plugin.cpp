// A plugin as a DAW would load it: it embeds runloop, never calls run(), and relies on the
// host's own message pump to drive its timers and cross-thread sends.
#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "runloop/runloop.hpp"
#include "runloop_test_plugin.h"

namespace {

using namespace std::chrono_literals;

struct PluginState {
  std::atomic<int> timer_fired{0};
  std::atomic<int> ticks{0};
  std::atomic<int> remote{0};
  std::atomic<int> remote_expected{0};
  std::atomic<int> pending_destroyed{0};
  std::atomic<int> pending_ran{0};
  std::optional<runloop::Handle> one_shot;
  std::optional<runloop::Timer> repeating;
  std::thread sender_thread;
};

// This DLL's own copy, destroyed when it is unloaded. It outlives stop() so that the host can
// still read the progress.
std::optional<PluginState> state;

// Counts its destruction: proves that deinit() destroyed left-behind work without running it.
struct Pending {
  std::atomic<int>* destroyed;
  explicit Pending(std::atomic<int>* counter) : destroyed(counter) {}
  Pending(Pending&& other) noexcept : destroyed(std::exchange(other.destroyed, nullptr)) {}
  ~Pending() {
    if (destroyed != nullptr) ++*destroyed;
  }
};

void send_from_thread(int sends) {
  state->remote_expected += sends;
  state->sender_thread = std::thread([sender = runloop::RunLoop::sender(), sends] {
    for (int i = 0; i < sends; ++i) sender.send([] { ++state->remote; });
  });
}

void join_sender() {
  if (state->sender_thread.joinable()) state->sender_thread.join();
}

}  // namespace

extern "C" {

int runloop_test_plugin_start(int sends) {
  auto initialised = runloop::RunLoop::init();
  if (!initialised) return static_cast<int>(initialised.error());
  state.emplace();
  auto loop = runloop::RunLoop::current();
  state->one_shot = loop.schedule(5ms, [] { state->timer_fired = 1; });
  state->repeating.emplace(2ms, [] { ++state->ticks; });
  state->repeating->start();
  send_from_thread(sends);
  return 0;
}

void runloop_test_plugin_send_more(int sends) {
  join_sender();
  send_from_thread(sends);
  join_sender();
}

void runloop_test_plugin_progress(RunloopTestPluginProgress* out) {
  out->timer_fired = state->timer_fired;
  out->ticks = state->ticks;
  out->remote = state->remote;
  out->remote_expected = state->remote_expected;
  out->pending_destroyed = state->pending_destroyed;
  out->pending_ran = state->pending_ran;
}

void runloop_test_plugin_leave_pending_work() {
  join_sender();
  std::thread([sender = runloop::RunLoop::sender()] {
    sender.send([p = Pending(&state->pending_destroyed)] { ++state->pending_ran; });
  }).join();
  runloop::RunLoop::current()
      .schedule(1h, [p = Pending(&state->pending_destroyed)] { ++state->pending_ran; })
      .detach();
}

void runloop_test_plugin_stop() {
  join_sender();
  state->repeating.reset();
  state->one_shot.reset();
  runloop::RunLoop::deinit();
}

}  // extern "C"
