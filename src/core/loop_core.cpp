#include "core/loop_core.hpp"

#include <utility>
#include <vector>

#include "core/batch_budget.hpp"
#include "core/exceptions.hpp"
#include "core/time_math.hpp"
#include "runloop/error.hpp"

namespace runloop::detail {

Result<LoopCore*, Error> LoopCore::create(std::uint64_t epoch, LoopMode mode) {
  std::unique_ptr<LoopCore, void (*)(LoopCore*)> core(new LoopCore(epoch),
                                                      [](LoopCore* c) { c->release(); });
  auto stack = BackendStack::create(*core, mode);
  if (!stack) return Unexpected(stack.error());
  core->surface_ = stack->surface();
  core->backend_ = stack->take_top();
  core->mailbox_ = new Mailbox(core.get(), core->backend_.get());
  stack->start(*core->mailbox_);
  return core.release();
}

LoopCore::LoopCore(std::uint64_t epoch) noexcept : epoch_(epoch) {}

LoopCore::~LoopCore() {
  if (mailbox_ != nullptr) mailbox_->release();
}

void LoopCore::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

Clock::time_point LoopCore::deadline_after(std::chrono::nanoseconds delay) const noexcept {
  return saturating_deadline(now(), delay);
}

bool LoopCore::post_local(Callback& callback) {
  if (shut_down_) return false;
  // Keep causal order: whatever another thread posted before this call runs first.
  mailbox_->drain_into(ready_);
  ready_.push_back(std::move(callback));
  request_wake_from_loop_thread();
  return true;
}

TimerToken LoopCore::schedule_at(Clock::time_point deadline, Callback&& callback) {
  if (shut_down_) {
    callback.reset();
    return {};
  }
  const TimerHeap::Id id = timers_.push(deadline, std::move(callback));
  // At any dispatch depth: a callback may be running a loop we do not own (a modal dialog),
  // which only our native timer brings back to us. A cancel announces too (see cancel()).
  if (!announced_is_earliest_ || !announced_ || deadline < *announced_) announce_deadline();
  return TimerToken{epoch_, id.slot, id.generation};
}

void LoopCore::cancel(TimerToken token) noexcept {
  if (token.epoch != epoch_) return;
  Callback callback;
  bool was_head = false;
  const bool removed = timers_.remove({token.slot, token.generation}, callback, &was_head);
  // Only when it may have been the earliest (announce_deadline dedupes): the watchdog must
  // not take a cancelled deadline for due work, nor the host-driven alarm wake a host for
  // nothing. Another timer's cancel leaves the earliest, and what is announced, as it was.
  if (removed && (was_head || !announced_is_earliest_)) announce_deadline();
  // `callback` is destroyed here, after the heap is consistent again: its destructor may
  // schedule or cancel other timers.
}

bool LoopCore::is_pending(TimerToken token) const noexcept {
  return token.epoch == epoch_ && timers_.contains({token.slot, token.generation});
}

NextWork LoopCore::next_work() const {
  if (shut_down_) return {};
  if (!ready_.empty() || mailbox_->has_items()) return NextWork{true, {}};
  // Under MockTime nothing fires on its own: timers run only as the mock clock advances.
  if (mock_now_) {
    const auto deadline = timers_.next_deadline();
    return NextWork{deadline && *deadline <= *mock_now_, {}};
  }
  return NextWork{false, timers_.next_deadline()};
}

void LoopCore::request_wake_from_loop_thread() noexcept {
  if (local_wake_pending_) return;
  local_wake_pending_ = true;
  backend_->wake_from_loop_thread();
}

void LoopCore::announce_deadline() noexcept {
  if (shut_down_) return;
  const std::optional<Clock::time_point> next =
      mock_now_ ? std::optional<Clock::time_point>{} : timers_.next_deadline();
  announced_is_earliest_ = true;
  if (next == announced_) return;
  announced_ = next;
  backend_->arm_deadline(next);
}

WorkReport LoopCore::do_work() {
  CoreRef keep_alive(this);
  // The backend consumed its wake-up to get here; what is left at the end asks again.
  local_wake_pending_ = false;
  BatchBudget budget(Clock::now());
  std::size_t ran = 0;
  // Rounds of (ready work, due timers) while the budget lasts, so that work posted or
  // timers armed for "now" by this batch's own callbacks (a chain of posts, a task awaiting
  // delay(0)) run in this pass instead of costing a native iteration each. The budget, not
  // "what was ready at the start", bounds the pass.
  for (;;) {
    const Clock::time_point due_at = mock_now_ ? *mock_now_ : budget.last_reading();
    const std::size_t round = run_ready_work(budget) + run_due_timers(budget, due_at);
    ran += round;
    if (round == 0 || interrupted() || budget.spent()) break;
    budget.read_clock();
  }
  if (!shut_down_) announce_deadline();
  const NextWork next = next_work();
  // A wake-up asked for during the batch was for work the batch then ran itself; the backend
  // may drop it now (see wake_from_loop_thread()), so the next post must ask again.
  if (!next.immediate) local_wake_pending_ = false;
  return WorkReport{ran > 0, next};
}

// Immediate work, including what is posted while it runs, until its share is spent.
std::size_t LoopCore::run_ready_work(BatchBudget& budget) {
  std::size_t ran = 0;
  while (!interrupted() && budget.ready_left()) {
    if (ready_.empty()) {
      mailbox_->drain_into(ready_);
      if (ready_.empty()) break;
    }
    // Taken one at a time: a callback may run a nested loop that continues the queue.
    Callback callback = std::move(ready_.front());
    ready_.pop_front();
    // Should this callback run a loop we do not own, it comes back to us for the rest.
    if (!ready_.empty()) request_wake_from_loop_thread();
    invoke_guarded(callback);
    ++ran;
    budget.ran_ready();
  }
  return ran;
}

// Timers due at `due_at`, each round taking only those armed before it began (a zero-delay
// timer re-armed by its own callback waits for the next round). Their share of the budget is
// their own, and each round runs at least one, so that a flood of sends cannot starve them.
std::size_t LoopCore::run_due_timers(BatchBudget& budget, Clock::time_point due_at) {
  const std::uint64_t sequence_limit = timers_.next_sequence();
  std::size_t ran = 0;
  Callback callback;
  while (!interrupted() && budget.timers_left(ran == 0) &&
         timers_.pop_due(due_at, sequence_limit, callback)) {
    announced_is_earliest_ = false;
    invoke_guarded(callback);
    callback.reset();
    ++ran;
    budget.ran_timer();
  }
  return ran;
}

void LoopCore::run() {
  CoreRef keep_alive(this);
  RunLevel level;
  run_levels_.push_back(&level);
  while (!level.stopped && !shut_down_) backend_->poll_once(true);
  run_levels_.pop_back();
}

void LoopCore::stop() noexcept {
  // On the loop thread the innermost run() is not waiting: it is below this call, and its
  // poll returns once the native callback that called us ends. Not every native iteration
  // returns after every callback (CFRunLoopRunInMode returns after a source, not after a
  // host's timer callout): a wake-up makes one of ours follow.
  if (run_levels_.empty() || shut_down_) return;
  run_levels_.back()->stopped = true;
  request_wake_from_loop_thread();
}

void LoopCore::run_app() {
  CoreRef keep_alive(this);
  if (!backend_->run_app()) run();
}

void LoopCore::stop_app() noexcept {
  if (!backend_->stop_app()) stop();
}

void LoopCore::poll_once() {
  if (shut_down_) throw RunLoopError(Error::NotInitialized);
  CoreRef keep_alive(this);
  backend_->poll_once(true);
}

void LoopCore::freeze_clock() noexcept {
  if (mock_now_) return;
  mock_now_ = Clock::now();
  announce_deadline();  // disarms: nothing fires on its own any more
}

void LoopCore::unfreeze_clock() noexcept {
  if (!mock_now_) return;
  mock_now_.reset();
  announce_deadline();
  if (next_work().immediate) request_wake_from_loop_thread();
}

void LoopCore::run_until_idle() {
  CoreRef keep_alive(this);
  drain();
}

// The caller holds a CoreRef. (Not run_until_idle() from advance_to(): GCC 12 at -O3 inlines
// the nested CoreRef's release and reports its `delete this` as a use after free.)
void LoopCore::drain() {
  while (!shut_down_) {
    const WorkReport report = do_work();
    if (!report.ran && !report.next.immediate) break;
  }
}

void LoopCore::advance_to(Clock::time_point target) {
  CoreRef keep_alive(this);
  drain();
  // Each deadline on the way, in order: every timer sees now() equal to its own deadline.
  while (!shut_down_ && mock_now_) {
    const auto next = timers_.next_deadline();
    if (!next || *next > target) break;
    if (*next > *mock_now_) mock_now_ = *next;
    drain();
  }
  if (mock_now_ && target > *mock_now_) mock_now_ = target;
  drain();
}

void LoopCore::shutdown() noexcept {
  if (shut_down_) return;
  shut_down_ = true;
  for (RunLevel* level : run_levels_) level->stopped = true;
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
