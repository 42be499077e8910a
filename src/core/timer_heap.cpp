#include "core/timer_heap.hpp"

#include <utility>

namespace runloop::detail {

TimerHeap::Id TimerHeap::push(Clock::time_point deadline, Callback callback) {
  std::uint32_t slot;
  if (free_head_ != kNoSlot) {
    slot = free_head_;
    free_head_ = slots_[slot].next_free;
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  heap_.emplace_back();  // may throw: nothing else is touched yet but the free list
  slots_[slot].callback = std::move(callback);
  sift_up(heap_.size() - 1, Node{deadline.time_since_epoch().count(), next_sequence_++, slot});
  return Id{slot, slots_[slot].generation};
}

Callback TimerHeap::remove(Id id) noexcept {
  if (!contains(id)) return {};
  return erase_at(slots_[id.slot].heap_index);
}

bool TimerHeap::contains(Id id) const noexcept {
  return id.slot < slots_.size() && slots_[id.slot].generation == id.generation &&
         static_cast<bool>(slots_[id.slot].callback);
}

std::optional<TimerHeap::Clock::time_point> TimerHeap::next_deadline() const noexcept {
  if (heap_.empty()) return std::nullopt;
  return Clock::time_point(Clock::duration(heap_.front().deadline));
}

bool TimerHeap::pop_due(Clock::time_point now, std::uint64_t sequence_limit,
                        Callback& out) noexcept {
  if (heap_.empty()) return false;
  const Node& top = heap_.front();
  if (top.deadline > now.time_since_epoch().count() || top.sequence >= sequence_limit) {
    return false;
  }
  out = erase_at(0);
  return true;
}

std::vector<Callback> TimerHeap::take_all() noexcept {
  std::vector<Callback> callbacks;
  callbacks.reserve(heap_.size());
  for (const Node& node : heap_) {
    callbacks.push_back(std::move(slots_[node.slot].callback));
    release_slot(node.slot);
  }
  heap_.clear();
  return callbacks;
}

void TimerHeap::place(std::size_t index, const Node& node) noexcept {
  heap_[index] = node;
  slots_[node.slot].heap_index = static_cast<std::uint32_t>(index);
}

void TimerHeap::sift_up(std::size_t index, Node node) noexcept {
  while (index > 0) {
    std::size_t parent = (index - 1) / 2;
    if (!earlier(node, heap_[parent])) break;
    place(index, heap_[parent]);
    index = parent;
  }
  place(index, node);
}

void TimerHeap::sift_down(std::size_t index, Node node) noexcept {
  const std::size_t size = heap_.size();
  for (;;) {
    std::size_t child = 2 * index + 1;
    if (child >= size) break;
    if (child + 1 < size && earlier(heap_[child + 1], heap_[child])) ++child;
    if (!earlier(heap_[child], node)) break;
    place(index, heap_[child]);
    index = child;
  }
  place(index, node);
}

Callback TimerHeap::erase_at(std::size_t index) noexcept {
  std::uint32_t slot = heap_[index].slot;
  Callback callback = std::move(slots_[slot].callback);
  release_slot(slot);
  Node last = heap_.back();
  heap_.pop_back();
  if (index < heap_.size()) {
    if (index > 0 && earlier(last, heap_[(index - 1) / 2])) {
      sift_up(index, last);
    } else {
      sift_down(index, last);
    }
  }
  return callback;
}

void TimerHeap::release_slot(std::uint32_t slot) noexcept {
  Slot& s = slots_[slot];
  ++s.generation;
  s.next_free = free_head_;
  free_head_ = slot;
}

}  // namespace runloop::detail
