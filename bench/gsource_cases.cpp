// A peer for the timer cases: the plain way to do timers well on GLib by hand. One custom
// GSource for all timers (as Chromium's GLib message pump has), over a binary min-heap of
// individually allocated nodes that know their heap position, so that cancel removes the
// node at once (O(log n), libuv's way). Callbacks are std::function. Ordered by (deadline,
// sequence). Only the timer cases (3, 5b): the other cases have no custom-source way here.
#include <glib.h>

#include <climits>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "harness.hpp"

namespace bench {
namespace {

struct TimerNode {
  std::int64_t deadline;  // steady_clock, ns
  std::uint64_t sequence;
  std::size_t index;  // position in the heap
  std::function<void()> callback;
};

// The loop thread's timers, dispatched by one GSource attached to the default context.
class TimerSource {
 public:
  TimerSource() : context_(g_main_context_default()), main_loop_(g_main_loop_new(context_, FALSE)) {
    g_main_context_acquire(context_);
    source_ = reinterpret_cast<Source*>(g_source_new(&funcs_, sizeof(Source)));
    source_->self = this;
    g_source_attach(&source_->base, context_);
  }
  ~TimerSource() {
    g_source_destroy(&source_->base);
    g_source_unref(&source_->base);
    for (TimerNode* node : heap_) delete node;
    g_main_context_release(context_);
    g_main_loop_unref(main_loop_);
  }
  TimerSource(const TimerSource&) = delete;
  TimerSource& operator=(const TimerSource&) = delete;

  // The handle is the node, valid until it fires or is cancelled.
  TimerNode* schedule(Clock::time_point deadline, std::function<void()> callback) {
    auto* node = new TimerNode{deadline.time_since_epoch().count(), next_sequence_++, heap_.size(),
                               std::move(callback)};
    heap_.push_back(node);
    sift_up(node->index);
    return node;
  }
  void cancel(TimerNode* node) {
    remove_at(node->index);
    delete node;
  }
  void run() { g_main_loop_run(main_loop_); }
  void stop() { g_main_loop_quit(main_loop_); }

 private:
  struct Source {
    GSource base;
    TimerSource* self;
  };
  static TimerSource& self(GSource* source) { return *reinterpret_cast<Source*>(source)->self; }

  static gboolean prepare(GSource* source, gint* timeout) {
    const TimerSource& s = self(source);
    if (s.heap_.empty()) {
      *timeout = -1;
      return FALSE;
    }
    const std::int64_t wait = s.heap_[0]->deadline - Clock::now().time_since_epoch().count();
    if (wait <= 0) {
      *timeout = 0;
      return TRUE;
    }
    // Whole milliseconds, rounded up so that it never fires early.
    const std::int64_t ms = (wait + 999'999) / 1'000'000;
    *timeout = ms > INT_MAX ? INT_MAX : static_cast<gint>(ms);
    return FALSE;
  }
  static gboolean check(GSource* source) {
    const TimerSource& s = self(source);
    return !s.heap_.empty() && s.heap_[0]->deadline <= Clock::now().time_since_epoch().count();
  }
  static gboolean dispatch(GSource* source, GSourceFunc, gpointer) {
    TimerSource& s = self(source);
    const std::int64_t now = Clock::now().time_since_epoch().count();
    while (!s.heap_.empty() && s.heap_[0]->deadline <= now) {
      TimerNode* node = s.heap_[0];
      s.remove_at(0);
      std::function<void()> callback = std::move(node->callback);
      delete node;
      callback();
    }
    return G_SOURCE_CONTINUE;
  }

  static bool earlier(const TimerNode* a, const TimerNode* b) {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->sequence < b->sequence);
  }
  void place(std::size_t i, TimerNode* node) {
    heap_[i] = node;
    node->index = i;
  }
  void sift_up(std::size_t i) {
    TimerNode* node = heap_[i];
    while (i > 0 && earlier(node, heap_[(i - 1) / 2])) {
      place(i, heap_[(i - 1) / 2]);
      i = (i - 1) / 2;
    }
    place(i, node);
  }
  void sift_down(std::size_t i) {
    TimerNode* node = heap_[i];
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && earlier(heap_[child + 1], heap_[child])) ++child;
      if (!earlier(heap_[child], node)) break;
      place(i, heap_[child]);
      i = child;
    }
    place(i, node);
  }
  void remove_at(std::size_t i) {
    TimerNode* last = heap_.back();
    heap_.pop_back();
    if (i == heap_.size()) return;
    place(i, last);
    if (i > 0 && earlier(last, heap_[(i - 1) / 2])) {
      sift_up(i);
    } else {
      sift_down(i);
    }
  }

  GSourceFuncs funcs_ = {prepare, check, dispatch, nullptr, nullptr, nullptr};  // GLib's: not const
  GMainContext* context_;
  GMainLoop* main_loop_;
  Source* source_ = nullptr;
  std::vector<TimerNode*> heap_;
  std::uint64_t next_sequence_ = 0;
};

struct GSourceCases {
  static TimerStats timers(const Params& params) {
    TimerSource loop;
    PlannedTimers planned(params.timer_count, params.timer_spread);
    TimerRecord& record = planned.record;
    return measure_timers(
        planned, params.timer_lead,
        [&](int rank) {
          loop.schedule(record.deadline(rank), [&record, &loop, rank] {
            record.fire(rank);
            if (record.all_fired()) loop.stop();
          });
        },
        [&] { loop.run(); });
  }

  static ScheduleCancelStats schedule_cancel(const Params& params, CancelOrder order) {
    TimerSource loop;
    PlannedTimers planned(params.cancel_count, params.timer_spread);
    TimerRecord& record = planned.record;
    std::vector<TimerNode*> handles;
    handles.reserve(params.cancel_count);
    return measure_schedule_cancel<DueAt::deadline>(
        planned, params.timer_lead, order,
        [&](int i, int rank) {
          handles.push_back(loop.schedule(record.deadline(rank), [&record, i] { record.fire(i); }));
        },
        [&](int i) { loop.cancel(handles[i]); });
  }

  static double pending_timer_bytes(const Params& params) {
    TimerSource loop;
    int fired = 0;
    std::vector<TimerNode*> handles;  // the caller's storage: counted as sizeof
    handles.reserve(params.pending_count);
    const auto deadline = Clock::now() + std::chrono::hours(1);
    const double bytes = measure_pending_timer_bytes<TimerNode*>(params.pending_count, [&](int) {
      handles.push_back(loop.schedule(deadline, [&fired] { ++fired; }));
    });
    return bytes;  // the source's destructor frees the pending nodes
  }
};

}  // namespace

Contender gsource_contender() {
  Contender c;
  c.name = "gsource";
  c.timers = GSourceCases::timers;
  c.schedule_cancel = GSourceCases::schedule_cancel;
  c.pending_timer_bytes = GSourceCases::pending_timer_bytes;
  return c;
}

}  // namespace bench
