#include "core/timer_heap.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

namespace runloop::detail {
namespace {

constexpr std::align_val_t kLine{64};

// Asks for a cache line ahead of use: the heap's next top and its callback are random
// memory, fetched while the current callback runs.
template <class T>
void prefetch(const T* address) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(address);
#else
  (void)address;
#endif
}

}  // namespace

TimerHeap::Nodes::~Nodes() {
  if (data_ != nullptr) ::operator delete(data_, kLine);
}

void TimerHeap::Nodes::grow_by_one() {
  if (size_ == capacity_) {
    const std::size_t capacity = capacity_ < 64 ? 64 : 2 * capacity_;
    auto* data = static_cast<Node*>(::operator new((capacity + kPad) * sizeof(Node), kLine));
    if (data_ != nullptr) {
      std::memcpy(static_cast<void*>(data), data_, (size_ + kPad) * sizeof(Node));
      ::operator delete(data_, kLine);
    }
    data_ = data;
    capacity_ = capacity;
  }
  ++size_;
}

TimerHeap::Id TimerHeap::push(Clock::time_point deadline, Callback callback) {
  heap_.grow_by_one();  // may throw: nothing else is changed yet
  std::uint32_t slot = free_head_;
  if (slot != kNoSlot) {
    free_head_ = slots_[slot].next_free;
  } else {
    try {
      slot = static_cast<std::uint32_t>(slots_.size());
      if ((slot >> kChunkBits) == chunks_.size()) {
        std::unique_ptr<Callback[]> chunk(new Callback[std::size_t{1} << kChunkBits]);
        chunks_.push_back(std::move(chunk));
      }
      slots_.emplace_back();
    } catch (...) {
      heap_.pop_back();
      throw;
    }
  }
  Slot& s = slots_[slot];
  ++s.generation;  // odd: pending
  s.sequence = next_sequence_++;
  callback_at(slot) = std::move(callback);
  ++live_;
  sift_up(heap_.size() - 1, Node{deadline.time_since_epoch().count(), slot});
  return Id{slot, s.generation};
}

Callback TimerHeap::remove(Id id) noexcept {
  if (!contains(id)) return {};
  ++slots_[id.slot].generation;  // even: cancelled; the slot stays with its tombstone
  --live_;
  Callback callback = std::move(callback_at(id.slot));
  drop_dead_top();
  compact_if_sparse();
  return callback;
}

bool TimerHeap::contains(Id id) const noexcept {
  return (id.generation & 1u) != 0 && id.slot < slots_.size() &&
         slots_[id.slot].generation == id.generation;
}

std::optional<TimerHeap::Clock::time_point> TimerHeap::next_deadline() const noexcept {
  if (heap_.empty()) return {};
  return Clock::time_point(Clock::duration(heap_[0].deadline));
}

bool TimerHeap::pop_due(Clock::time_point now, std::uint64_t sequence_limit,
                        Callback& out) noexcept {
  if (heap_.empty()) return false;
  const Node top = heap_[0];  // live, by the invariant
  Slot& s = slots_[top.slot];
  if (top.deadline > now.time_since_epoch().count() || s.sequence >= sequence_limit) {
    return false;
  }
  pop_top();
  ++s.generation;  // even: fired
  --live_;
  out = std::move(callback_at(top.slot));
  free_slot(top.slot);
  drop_dead_top();
  if (!heap_.empty()) {
    prefetch(&slots_[heap_[0].slot]);
    prefetch(&callback_at(heap_[0].slot));
  }
  return true;
}

std::vector<Callback> TimerHeap::take_all() noexcept {
  std::vector<Callback> callbacks;
  callbacks.reserve(live_);
  for (std::size_t i = 0; i < heap_.size(); ++i) {
    const std::uint32_t slot = heap_[i].slot;
    if (is_live(heap_[i])) {
      ++slots_[slot].generation;
      callbacks.push_back(std::move(callback_at(slot)));
    }
    free_slot(slot);
  }
  heap_.clear();
  live_ = 0;
  return callbacks;
}

void TimerHeap::free_slot(std::uint32_t slot) noexcept {
  slots_[slot].next_free = free_head_;
  free_head_ = slot;
}

void TimerHeap::sift_up(std::size_t index, Node node) noexcept {
  while (index > 0) {
    const std::size_t parent = (index - 1) / kArity;
    if (!earlier(node, heap_[parent])) break;
    heap_[index] = heap_[parent];
    index = parent;
  }
  heap_[index] = node;
}

void TimerHeap::sift_down(std::size_t index, Node node) noexcept {
  const std::size_t size = heap_.size();
  for (;;) {
    const std::size_t first = index * kArity + 1;
    if (first >= size) break;
    const std::size_t end = std::min(first + kArity, size);
    std::size_t best = first;
    for (std::size_t child = first + 1; child < end; ++child) {
      if (earlier(heap_[child], heap_[best])) best = child;
    }
    if (!earlier(heap_[best], node)) break;
    heap_[index] = heap_[best];
    index = best;
  }
  heap_[index] = node;
}

void TimerHeap::pop_top() noexcept {
  const Node last = heap_[heap_.size() - 1];
  heap_.pop_back();
  if (!heap_.empty()) sift_down(0, last);
}

void TimerHeap::drop_dead_top() noexcept {
  while (!heap_.empty() && !is_live(heap_[0])) {
    const std::uint32_t slot = heap_[0].slot;
    pop_top();
    free_slot(slot);  // its tombstone is gone: the slot may serve a new timer
  }
}

void TimerHeap::compact_if_sparse() noexcept {
  // Rebuilding costs O(heap size) and happens only once tombstones outnumber live timers,
  // so it is O(1) per cancel, amortised.
  const std::size_t dead = heap_.size() - live_;
  if (dead < 64 || dead <= live_) return;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < heap_.size(); ++i) {
    if (is_live(heap_[i])) {
      heap_[kept++] = heap_[i];
    } else {
      free_slot(heap_[i].slot);
    }
  }
  heap_.resize_down(kept);
  if (kept < 2) return;
  for (std::size_t i = (kept - 2) / kArity + 1; i-- > 0;) sift_down(i, heap_[i]);
}

}  // namespace runloop::detail
