#include "runloop/detail/task_root.hpp"

#include <exception>
#include <utility>

#include "core/exceptions.hpp"
#include "core/lifecycle.hpp"
#include "core/task_registry.hpp"

namespace runloop::detail {

TaskRoot::~TaskRoot() {
  delete stop_source_.load(std::memory_order_acquire);
}

void TaskRoot::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

void TaskRoot::drop_handle() noexcept {
  // Whichever of this and publish_finished() comes second reports an untaken panic, so it
  // is reported exactly once, and never when the handle (or an awaiter) took it.
  const auto before = flags_.fetch_or(kHandleDropped, std::memory_order_acq_rel);
  if ((before & kFinished) != 0) {
    if (std::exception_ptr lost = take_unclaimed_panic()) report_exception(std::move(lost));
  }
  release();
}

void TaskRoot::publish_finished() noexcept {
  const auto before = flags_.fetch_or(kFinished, std::memory_order_acq_rel);
  if ((before & kHandleDropped) != 0) {
    if (std::exception_ptr lost = take_unclaimed_panic()) report_exception(std::move(lost));
  }
}

void TaskRoot::resume(std::coroutine_handle<> frame) noexcept {
  if (state() != State::Suspended) return;  // ended meanwhile: a stale wake-up
  RootRef keep(this);
  set_state(State::Running);
  frame.resume();  // returns when the task suspends again or reaches its final suspend
  set_state(State::Suspended);
  // Abort wins over completion: a task aborted while it ran (by itself, or by a deinit()
  // it called) ends Aborted even if it then ran to its end.
  if ((loop_bits_ & kAbortRequested) != 0) {
    finish(true);
  } else if ((loop_bits_ & kFrameDone) != 0) {
    finish(false);
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
  request_stop();
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
  if (state() == State::Done) return;
  if (state() == State::Running) {
    loop_bits_ |= kAbortRequested;  // on the stack: destroyed when it next suspends
    return;
  }
  finish(true);
}

void TaskRoot::abort_unstarted() noexcept {
  set_state(State::Done);
  store_aborted();
  publish_finished();
}

void TaskRoot::request_stop() noexcept {
  // Sequentially consistent with stop_token(): either this sees the source, or the source's
  // creator sees the flag.
  flags_.fetch_or(kStopRequested);
  if (std::stop_source* source = stop_source_.load()) source->request_stop();
}

std::stop_token TaskRoot::stop_token() {
  std::stop_source* source = stop_source_.load(std::memory_order_acquire);
  if (source == nullptr) {
    // Made on first use only: most tasks never ask, and a stop state is an allocation.
    source = new std::stop_source();
    stop_source_.store(source);
    if ((flags_.load() & kStopRequested) != 0) source->request_stop();
  }
  return source->get_token();
}

void TaskRoot::finish(bool aborted) noexcept {
  RootRef keep(this);
  set_state(State::Done);
  std::exception_ptr lost;
  if (aborted) {
    // An exception that escaped after the abort: the handle says Aborted, so nobody could
    // ever see it unless it is reported.
    if ((loop_bits_ & kFrameDone) != 0) lost = frame_exception(frame_);
    store_aborted();
  } else {
    store_result(frame_);
  }
  // Destroying the frame runs the destructors of its locals here, on the loop thread; they
  // may spawn, abort, schedule, or stop awaiting this task.
  if (auto frame = std::exchange(frame_, {})) frame.destroy();
  TaskRegistry::remove(this);
  // Registered newest first: reversed, they are woken in the order they began to wait.
  JoinWaiter* waiters = nullptr;
  while (waiters_ != nullptr) {
    JoinWaiter* waiter = waiters_;
    waiters_ = waiter->next;
    waiter->next = waiters;
    waiters = waiter;
  }
  if (waiters != nullptr) deliver(waiters);
  publish_finished();
  if (lost) report_exception(std::move(lost));
  while (waiters != nullptr) {
    JoinWaiter* next = waiters->next;  // waking may resume (and free) the waiter at once
    wake(*waiters);
    waiters = next;
  }
}

bool TaskRoot::add_waiter(JoinWaiter& waiter) noexcept {
  if (state() == State::Done) return false;
  waiter.prev = nullptr;
  waiter.next = waiters_;
  if (waiters_ != nullptr) waiters_->prev = &waiter;
  waiters_ = &waiter;
  waiter.linked = true;
  return true;
}

void TaskRoot::remove_waiter(JoinWaiter& waiter) noexcept {
  if (!waiter.linked) return;
  if (waiter.prev != nullptr) waiter.prev->next = waiter.next;
  if (waiter.next != nullptr) waiter.next->prev = waiter.prev;
  if (waiters_ == &waiter) waiters_ = waiter.next;
  waiter.prev = waiter.next = nullptr;
  waiter.linked = false;
}

void TaskRoot::wake(JoinWaiter& waiter) noexcept {
  waiter.linked = false;
  waiter.prev = waiter.next = nullptr;
  if (waiter.task != nullptr) {
    waiter.task->post_resume(waiter.frame);  // fails only when that task is aborted anyway
    return;
  }
  // Another coroutine type: resumed on the loop thread, on a later pass, through a timer
  // that its awaiter cancels if that coroutine is destroyed first.
  try {
    auto timer = schedule_foreign_resume(epoch_, std::chrono::steady_clock::now(), waiter.frame,
                                         &waiter.dropped);
    if (timer) {
      waiter.wake_up = std::move(*timer);
      return;
    }
  } catch (...) {
  }
  // The loop is shutting down or gone (or out of memory): its result is in place, so it is
  // resumed here rather than leaked.
  resume_guarded(waiter.frame);
}

}  // namespace runloop::detail
