#include "runloop/detail/task_root.hpp"

#include <exception>

#include "core/lifecycle.hpp"
#include "core/task_registry.hpp"

namespace runloop::detail {

TaskRoot::~TaskRoot() = default;

void TaskRoot::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

void TaskRoot::resume(std::coroutine_handle<> frame) noexcept {
  if (state_ != State::Suspended) return;  // ended meanwhile: a stale wake-up
  RootRef keep(this);
  state_ = State::Running;
  frame.resume();  // returns when the task suspends again or reaches its final suspend
  state_ = State::Suspended;
  if (frame_done_) {
    finish(false);
  } else if (abort_requested_) {
    finish(true);
  }
}

bool TaskRoot::post_resume(std::coroutine_handle<> frame) noexcept {
  try {
    Callback wake_up = [root = RootRef(this), frame] { root->resume(frame); };
    if (LoopCore* core = current_core(epoch_)) return core->post_local(wake_up);
    Mailbox* mailbox = acquire_mailbox(epoch_);
    if (mailbox == nullptr) return false;
    const bool posted = mailbox->post(wake_up);
    mailbox->release();
    return posted;
  } catch (...) {
    return false;  // out of memory: the task stays suspended until abort or shutdown
  }
}

void TaskRoot::abort() noexcept {
  if (is_finished()) return;
  if (current_core(epoch_) != nullptr) return abort_on_loop_thread();
  // Another thread: the frame is the loop thread's to destroy.
  Mailbox* mailbox = acquire_mailbox(epoch_);
  if (mailbox == nullptr) return;  // the loop is gone, and shutdown aborted the task
  try {
    Callback abort_later = [root = RootRef(this)] { root->abort_on_loop_thread(); };
    mailbox->post(abort_later);
  } catch (...) {
  }
  mailbox->release();
}

void TaskRoot::abort_on_loop_thread() noexcept {
  if (state_ == State::Done) return;
  if (state_ == State::Running) {
    abort_requested_ = true;  // on the stack: destroyed when it next suspends
    return;
  }
  finish(true);
}

void TaskRoot::finish(bool aborted) noexcept {
  RootRef keep(this);
  state_ = State::Done;
  if (aborted) {
    store_aborted();
  } else {
    store_result(frame_);
  }
  // Destroying the frame runs the destructors of its locals here, on the loop thread; they
  // may spawn, abort or schedule.
  if (auto frame = std::exchange(frame_, {})) frame.destroy();
  if (registry_ != nullptr) registry_->remove(this);
  finished_.store(true, std::memory_order_release);
  if (waiter_ != nullptr) {
    TaskRoot* waiter = std::exchange(waiter_, nullptr);
    waiter->post_resume(std::exchange(waiter_frame_, {}));
    waiter->release();
  }
}

bool TaskRoot::set_waiter(TaskRoot* waiter, std::coroutine_handle<> frame) noexcept {
  if (is_finished()) return false;
  clear_waiter();
  waiter->add_ref();
  waiter_ = waiter;
  waiter_frame_ = frame;
  return true;
}

void TaskRoot::clear_waiter() noexcept {
  if (TaskRoot* waiter = std::exchange(waiter_, nullptr)) waiter->release();
  waiter_frame_ = {};
}

bool start_task(std::uint64_t epoch, TaskRoot* root, std::coroutine_handle<> frame) {
  LoopCore& core = require_core(epoch);
  root->epoch_ = epoch;
  if (core.shut_down()) {
    root->state_ = TaskRoot::State::Done;
    root->store_aborted();
    root->finished_.store(true, std::memory_order_release);
    return false;
  }
  root->frame_ = frame;
  core.tasks().add(root);
  if (!root->post_resume(frame)) root->abort_on_loop_thread();
  return true;
}

Handle schedule_resume(std::uint64_t epoch, std::chrono::steady_clock::time_point deadline,
                       TaskRoot* root, std::coroutine_handle<> frame) {
  return Handle(require_core(epoch).schedule_at(
      deadline, [ref = RootRef(root), frame] { ref->resume(frame); }));
}

namespace {

// A minimal coroutine type for the two internal frames below. `FinalSuspend` decides who
// frees the frame: suspend_never frees it when it finishes, suspend_always leaves it to us.
template <class FinalSuspend>
struct BareCoroutine {
  struct promise_type {
    BareCoroutine get_return_object() noexcept {
      return BareCoroutine{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    FinalSuspend final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
  std::coroutine_handle<promise_type> frame;
};

// Runs one step when resumed, then frees itself.
using Hop = BareCoroutine<std::suspend_never>;
// Resumed, it suspends again at once, forever.
using Idle = BareCoroutine<std::suspend_always>;

Hop hop_to_loop(RootRef root, std::coroutine_handle<> frame) {
  root->post_resume(frame);
  co_return;
}

Idle idle_forever() {
  for (;;) co_await std::suspend_always{};
}

struct IdleFrame {
  std::coroutine_handle<> frame = idle_forever().frame;
  ~IdleFrame() { frame.destroy(); }
};

}  // namespace

std::coroutine_handle<> make_loop_hop(TaskRoot* root, std::coroutine_handle<> frame) {
  return hop_to_loop(RootRef(root), frame).frame;
}

std::coroutine_handle<> idle_handle() noexcept {
  static IdleFrame idle;
  return idle.frame;
}

BlockOnScope::BlockOnScope(std::uint64_t epoch) {
  LoopCore& core = require_core(epoch);
  if (core.block_on_active()) throw RunLoopError(Error::NestedBlockOn);
  core.add_ref();
  core.set_block_on_active(true);
  core_ = &core;
}

BlockOnScope::~BlockOnScope() {
  auto* core = static_cast<LoopCore*>(core_);
  core->set_block_on_active(false);
  core->release();
}

void BlockOnScope::poll() {
  auto* core = static_cast<LoopCore*>(core_);
  core->poll_once();
}

}  // namespace runloop::detail
