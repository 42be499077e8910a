#include "core/watchdog.hpp"

#include <cstdio>
#include <string>
#include <system_error>

#include "core/diagnostics.hpp"
#include "core/mailbox.hpp"

namespace runloop::detail {
namespace {

constexpr std::int64_t kUndrivenTicks =
    std::chrono::duration_cast<std::chrono::nanoseconds>(kUndrivenAfter).count();

Clock::time_point from_ticks(std::int64_t ticks) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ticks)));
}

const char* native_loop_name() {
#if defined(_WIN32)
  return "this thread's Win32 message queue";
#elif defined(__APPLE__)
  return "this thread's CFRunLoop";
#elif defined(__ANDROID__)
  return "this thread's ALooper";
#else
  return "this thread's GLib main context";
#endif
}

// Why nothing dispatched: the likeliest cause, from what the watchdog saw.
enum class Cause { inside_batch, stopped_driving, never_driven };

std::string undriven_message(bool host_driven, Cause cause) {
  std::string line = "runloop: work on the run loop of " + module_path() +
                     " has waited 2 s and nothing dispatched it: ";
  if (cause == Cause::inside_batch) {
    line +=
        "the loop thread has been inside one of this loop's callbacks all that time (a "
        "blocking callback, or a nested loop that does not drive this one).";
  } else if (cause == Cause::stopped_driving) {
    line +=
        "the loop ran before, so its thread is busy or blocked elsewhere, or the host stopped "
        "driving it (a VST3 host offers its IRunLoop only while an editor is open).";
  } else if (host_driven) {
    line +=
        "the loop is in host-driven mode and nobody calls dispatch(). Register poll_fd() "
        "with the host (CLAP posix-fd-support, VST3 IRunLoop) or call dispatch() from a host "
        "timer; <runloop/clap.hpp> and <runloop/vst3.hpp> do it.";
  } else {
    line += "nothing iterates ";
    line += native_loop_name();
    line += '.';
#if defined(__linux__)
    line +=
        " A host that does not run GLib hands plugins a file descriptor or a timer instead: "
        "use RunLoop::init(runloop::host_driven) and give poll_fd()/dispatch() to the host "
        "(<runloop/clap.hpp>, <runloop/vst3.hpp>).";
#endif
  }
  return line;
}

}  // namespace

Watchdog::Watchdog(BackendDelegate& core, bool host_driven) noexcept
    : core_(core), host_driven_(host_driven) {}

Watchdog::~Watchdog() {
  detach();
}

std::int64_t Watchdog::ticks(Clock::time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

void Watchdog::start(const Mailbox& mailbox) noexcept {
  mailbox_ = &mailbox;
  try {
    thread_ = std::thread([this] { watch(); });
  } catch (const std::system_error& e) {
    // The loop works without it; only the diagnosis is lost.
    std::fprintf(stderr, "runloop: cannot start the watchdog thread: %s\n", e.what());
  }
}

bool Watchdog::wake() noexcept {
  const bool woken = inner_->wake();
  // The mailbox marked itself non-empty before calling us.
  note_ready_at(0);
  return woken;
}

void Watchdog::wake_from_loop_thread() noexcept {
  inner_->wake_from_loop_thread();
  local_ready_.store(true, std::memory_order_relaxed);
  note_ready_at(0);
}

void Watchdog::arm_deadline(std::optional<Clock::time_point> deadline) noexcept {
  inner_->arm_deadline(deadline);
  const std::int64_t at = deadline ? ticks(*deadline) : kNever;
  deadline_.store(at, std::memory_order_relaxed);
  note_ready_at(at);
}

WorkReport Watchdog::do_work() {
  batches_.fetch_add(1, std::memory_order_relaxed);
  batch_depth_.fetch_add(1, std::memory_order_relaxed);
  WorkReport report;
  try {
    report = core_.do_work();
  } catch (...) {
    batch_depth_.fetch_sub(1, std::memory_order_relaxed);
    throw;
  }
  batch_depth_.fetch_sub(1, std::memory_order_relaxed);
  note_next(report.next);
  return report;
}

void Watchdog::note_next(const NextWork& next) noexcept {
  local_ready_.store(next.immediate, std::memory_order_relaxed);
  const std::int64_t at = next.deadline ? ticks(*next.deadline) : kNever;
  deadline_.store(at, std::memory_order_relaxed);
  note_ready_at(next.immediate ? 0 : at);
}

void Watchdog::note_ready_at(std::int64_t ready_at) noexcept {
  if (ready_at == kNever) return;
  // An RMW, not a load: it pairs with the thread's exchange in watch(). Whichever comes second
  // in sleeps_until_'s order sees the other: the thread sees what we stored before this (our
  // RMW releases it), or we see that it sleeps past `ready_at` and wake it. (Fences would do
  // the same, but TSan does not support them.)
  std::int64_t sleeps_until = sleeps_until_.fetch_add(0, std::memory_order_acq_rel);
  while (ready_at < sleeps_until) {
    if (sleeps_until_.compare_exchange_weak(sleeps_until, 0, std::memory_order_relaxed)) {
      // The thread holds the mutex from publishing sleeps_until_ until it waits.
      { std::lock_guard lock(mutex_); }
      wakeup_.notify_one();
      return;
    }
  }
}

bool Watchdog::ready_now(std::int64_t now) const noexcept {
  return mailbox_->has_items() || local_ready_.load(std::memory_order_relaxed) ||
         deadline_.load(std::memory_order_relaxed) <= now;
}

void Watchdog::watch() {
  std::unique_lock lock(mutex_);
  bool watching = false;
  std::uint64_t seen = 0;  // the batch count when watching began
  std::int64_t since = 0;  // when watching began
  while (!quit_) {
    const std::int64_t now = ticks(Clock::now());
    const std::uint64_t batches = batches_.load(std::memory_order_relaxed);
    if (ready_now(now)) {
      if (watching && batches == seen && now - since >= kUndrivenTicks) {
        const Cause cause = batch_depth_.load(std::memory_order_relaxed) > 0 ? Cause::inside_batch
                            : batches > 0 ? Cause::stopped_driving
                                          : Cause::never_driven;
        lock.unlock();
        report(static_cast<int>(cause));
        lock.lock();
        // Once per loop: from now on only deinit() wakes us (sleeps_until_ stays 0).
        wakeup_.wait(lock, [this] { return quit_; });
        return;
      }
      if (!watching || batches != seen) {
        watching = true;
        seen = batches;
        since = now;
      }
      // Watching needs no news: whatever becomes ready meanwhile is looked at in 2 s.
      sleeps_until_.store(0, std::memory_order_relaxed);
      wakeup_.wait_until(lock, from_ticks(since + kUndrivenTicks), [this] { return quit_; });
      continue;
    }
    watching = false;
    // Idle: sleep until the earliest deadline (or for good), unless news comes first.
    const std::int64_t deadline = deadline_.load(std::memory_order_relaxed);
    sleeps_until_.exchange(deadline, std::memory_order_acq_rel);  // see note_ready_at()
    if (ready_now(ticks(Clock::now())) || deadline_.load(std::memory_order_relaxed) < deadline) {
      continue;
    }
    const auto news = [this] { return quit_ || sleeps_until_.load() == 0; };
    if (deadline == kNever) {
      wakeup_.wait(lock, news);
    } else {
      wakeup_.wait_until(lock, from_ticks(deadline), news);
    }
  }
}

void Watchdog::report(int cause) noexcept {
  try {
    report_diagnostic(undriven_message(host_driven_, static_cast<Cause>(cause)));
  } catch (...) {
    // Building the message failed (out of memory): nothing sensible is left to say.
  }
}

void Watchdog::detach() noexcept {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    wakeup_.notify_one();
    thread_.join();
  }
  if (inner_) inner_->detach();
}

}  // namespace runloop::detail
