#include "core/loop_core.hpp"

#include <utility>
#include <vector>

#include "core/exceptions.hpp"

namespace runloop::detail {

Result<LoopCore*, Error> LoopCore::create(std::uint64_t epoch) {
  auto* core = new LoopCore(epoch);
  auto backend = create_backend(*core);
  if (!backend) {
    delete core;
    return Unexpected(backend.error());
  }
  core->backend_ = std::move(*backend);
  core->mailbox_ = new Mailbox(core, core->backend_.get());
  return core;
}

LoopCore::LoopCore(std::uint64_t epoch) noexcept : epoch_(epoch) {}

LoopCore::~LoopCore() {
  if (mailbox_ != nullptr) mailbox_->release();
}

void LoopCore::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

bool LoopCore::post_local(Callback& callback) {
  if (shut_down_) return false;
  // Keep causal order: whatever another thread posted before this call runs first.
  mailbox_->drain_into(ready_);
  ready_.push_back(std::move(callback));
  if (!local_wake_pending_) {
    local_wake_pending_ = true;
    backend_->wake_from_loop_thread();
  }
  return true;
}

TimerToken LoopCore::schedule_at(Clock::time_point deadline, Callback&& callback) {
  if (shut_down_) {
    callback.reset();
    return {};
  }
  const auto before = timers_.next_deadline();
  const TimerHeap::Id id = timers_.push(deadline, std::move(callback));
  // Inside do_work() the backend re-arms from its result; outside, tell it now. A cancel
  // needs no notice: an early native wake-up finds nothing due and re-arms.
  if (dispatch_depth_ == 0 && (!before || deadline < *before)) {
    backend_->deadline_changed(deadline);
  }
  return TimerToken{epoch_, id.slot, id.generation};
}

void LoopCore::cancel(TimerToken token) noexcept {
  if (token.epoch != epoch_) return;
  Callback callback;
  timers_.remove({token.slot, token.generation}, callback);
  // `callback` is destroyed here, after the heap is consistent again: its destructor may
  // schedule or cancel other timers.
}

bool LoopCore::is_pending(TimerToken token) const noexcept {
  return token.epoch == epoch_ && timers_.contains({token.slot, token.generation});
}

NextWork LoopCore::next_work() const {
  if (shut_down_) return {};
  if (!ready_.empty() || mailbox_->has_items()) return NextWork{true, std::nullopt};
  return NextWork{false, timers_.next_deadline()};
}

NextWork LoopCore::do_work() {
  CoreRef keep_alive(this);
  ++dispatch_depth_;
  local_wake_pending_ = false;
  mailbox_->drain_into(ready_);

  // Only what was ready when the batch began runs in it; work posted meanwhile waits for
  // the next pass, so a callback that re-posts itself cannot starve the host. Items are
  // taken one at a time because a callback may run a nested loop that continues the queue.
  for (std::size_t budget = ready_.size(); budget > 0 && !ready_.empty() && !shut_down_; --budget) {
    Callback callback = std::move(ready_.front());
    ready_.pop_front();
    invoke_guarded(callback);
  }

  // One clock reading per pass: a zero-delay timer re-armed by its own callback runs on
  // the next pass instead of livelocking this one.
  const Clock::time_point now = Clock::now();
  const std::uint64_t sequence_limit = timers_.next_sequence();
  Callback callback;
  while (!shut_down_ && timers_.pop_due(now, sequence_limit, callback)) {
    invoke_guarded(callback);
    callback.reset();
  }
  --dispatch_depth_;
  return next_work();
}

void LoopCore::shutdown() noexcept {
  if (shut_down_) return;
  shut_down_ = true;
  // Senders first, so nothing new arrives. Then move every container out before destroying
  // its contents: destructors re-enter (schedule, send, cancel) and must find us closed.
  std::vector<Callback> inbox = mailbox_->close();
  std::deque<Callback> ready = std::move(ready_);
  ready_.clear();
  std::vector<Callback> timers = timers_.take_all();
  inbox.clear();
  ready.clear();
  timers.clear();
  // Task frames last: their locals' destructors run here, on the loop thread.
  tasks_.abort_all();
  backend_->detach();
}

}  // namespace runloop::detail
