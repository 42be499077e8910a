#include "core/lifecycle.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include "runloop/run_loop.hpp"

// Module-wide state lives in one plain static guarded by a mutex and atomics, never in
// thread-local storage: each module that embeds runloop has its own copy, and nothing here
// depends on thread-exit or DLL-unload ordering.
namespace runloop {
namespace {

struct ModuleState {
  std::mutex mutex;  // serialises init/deinit and cross-thread lookups of `core`
  int references = 0;
  bool tearing_down = false;
  std::uint64_t last_epoch = 0;
  detail::LoopMode mode = detail::LoopMode::native;  // of the live loop
  std::atomic<detail::LoopCore*> core{nullptr};
  std::atomic<std::uint64_t> live_epoch{0};  // 0 from the start of shutdown
  std::atomic<std::thread::id> loop_thread{};
};

ModuleState state;

bool on_loop_thread() noexcept {
  return state.loop_thread.load(std::memory_order_acquire) == std::this_thread::get_id();
}

}  // namespace

namespace detail {

LoopCore* current_core(std::uint64_t epoch) noexcept {
  if (!on_loop_thread()) return nullptr;
  LoopCore* core = state.core.load(std::memory_order_acquire);
  if (core == nullptr || (epoch != 0 && core->epoch() != epoch)) return nullptr;
  return core;
}

LoopCore& require_core(std::uint64_t epoch) {
  if (LoopCore* core = current_core(epoch)) return *core;
  LoopCore* core = state.core.load(std::memory_order_acquire);
  if (core != nullptr && !on_loop_thread()) throw RunLoopError(Error::NotRunLoopThread);
  throw RunLoopError(Error::NotInitialized);
}

std::uint64_t live_epoch() noexcept {
  return state.live_epoch.load(std::memory_order_acquire);
}

Mailbox* acquire_mailbox(std::uint64_t epoch) noexcept {
  std::lock_guard lock(state.mutex);
  LoopCore* core = state.core.load(std::memory_order_relaxed);
  if (core == nullptr || (epoch != 0 && core->epoch() != epoch)) return nullptr;
  Mailbox& mailbox = core->mailbox();
  mailbox.add_ref();
  return &mailbox;
}

}  // namespace detail

namespace {

Result<void, Error> init_mode(detail::LoopMode mode) {
  std::lock_guard lock(state.mutex);
  if (state.references > 0 || state.tearing_down) {
    if (!on_loop_thread()) return Unexpected(Error::NotRunLoopThread);
    // A destructor running during shutdown cannot revive the loop that is going away.
    if (state.tearing_down) return Unexpected(Error::NotInitialized);
    // One loop, one mode: a native source and a host's descriptor cannot both be "the" loop.
    if (mode != state.mode) return Unexpected(Error::AlreadyInitialized);
    ++state.references;
    return {};
  }
  // Publish the thread first: the backend and core may ask is_run_loop_thread().
  state.loop_thread.store(std::this_thread::get_id(), std::memory_order_release);
  Result<detail::LoopCore*, Error> core;
  try {
    core = detail::LoopCore::create(state.last_epoch + 1, mode);
  } catch (...) {
    // Out of memory while attaching: leave the module as it was, not half-initialised.
    state.loop_thread.store(std::thread::id{}, std::memory_order_release);
    throw;
  }
  if (!core) {
    state.loop_thread.store(std::thread::id{}, std::memory_order_release);
    return Unexpected(core.error());
  }
  ++state.last_epoch;
  state.mode = mode;
  state.core.store(*core, std::memory_order_release);
  state.live_epoch.store(state.last_epoch, std::memory_order_release);
  state.references = 1;
  return {};
}

}  // namespace

Result<void, Error> RunLoop::init() {
  return init_mode(detail::LoopMode::native);
}

void RunLoop::deinit() noexcept {
  detail::LoopCore* core;
  {
    std::lock_guard lock(state.mutex);
    if (state.references == 0) return;  // an extra deinit() is a no-op
    if (!on_loop_thread()) {
      std::fprintf(stderr,
                   "runloop: RunLoop::deinit() called off the run loop thread (%s); ignored\n",
                   make_error_code(Error::NotRunLoopThread).message().c_str());
      return;
    }
    if (--state.references > 0) return;
    state.tearing_down = true;
    state.live_epoch.store(0, std::memory_order_release);
    core = state.core.load(std::memory_order_relaxed);
  }
  // Without the lock: destructors of pending work run here and may call into the API.
  // The thread stays marked as the loop thread until they are done.
  core->shutdown();
  {
    std::lock_guard lock(state.mutex);
    state.core.store(nullptr, std::memory_order_release);
    state.loop_thread.store(std::thread::id{}, std::memory_order_release);
    state.tearing_down = false;
  }
  core->release();  // frames still dispatching keep their own reference
}

bool RunLoop::is_run_loop_thread() noexcept {
  return on_loop_thread();
}

RunLoop RunLoop::current() {
  return RunLoop(detail::require_core(0).epoch());
}

Result<RunLoop, Error> RunLoop::try_current() noexcept {
  if (detail::LoopCore* core = detail::current_core(0)) return RunLoop(core->epoch());
  if (state.core.load(std::memory_order_acquire) != nullptr) {
    return Unexpected(Error::NotRunLoopThread);
  }
  return Unexpected(Error::NotInitialized);
}

Sender RunLoop::sender() {
  detail::Mailbox* mailbox = detail::acquire_mailbox(0);
  if (mailbox == nullptr) throw RunLoopError(Error::NotInitialized);
  return Sender(mailbox);
}

RunLoopGuard RunLoop::acquire() {
  init().value();  // throws RunLoopError on failure, leaving the count unchanged
  return RunLoopGuard();
}

#if defined(RUNLOOP_HAS_HOST_DRIVEN)
Result<void, Error> RunLoop::init(HostDriven) {
  return init_mode(detail::LoopMode::host_driven);
}

RunLoopGuard RunLoop::acquire(HostDriven) {
  init(host_driven).value();
  return RunLoopGuard();
}
#endif

RunLoopGuard& RunLoopGuard::operator=(RunLoopGuard&& other) noexcept {
  if (this != &other) {
    if (owns_) RunLoop::deinit();
    owns_ = std::exchange(other.owns_, false);
  }
  return *this;
}

RunLoopGuard::~RunLoopGuard() {
  if (owns_) RunLoop::deinit();
}

}  // namespace runloop
