// The wheel of TimerHeap: near deadlines in buckets over a window of time, the earliest
// bucket sorted and popped in order. See timer_heap.hpp for the layout and why.
#include <algorithm>
#include <bit>
#include <cstring>
#include <new>

#include "core/timer_heap.hpp"

namespace runloop::detail {

bool TimerHeap::prepare_wheel_push(Clock::rep deadline) {
  if (!buckets_) {
    std::unique_ptr<Bucket[]> buckets(new Bucket[ring_mask_ + 1]);
    nonempty_.assign((ring_mask_ + 64) / 64, 0);
    buckets_ = std::move(buckets);
  }
  const Clock::rep start = deadline & ~((Clock::rep{1} << bucket_bits_) - 1);
  if (wheel_nodes_ == 0) {
    base_ = start;  // an empty wheel goes where it is needed
  } else if (deadline < base_) {
    const std::uint32_t ring = ring_mask_ + 1;
    const std::uint64_t shift =
        (static_cast<std::uint64_t>(base_) - static_cast<std::uint64_t>(start)) >> bucket_bits_;
    // Earlier than the window: move it back to start at this deadline. The buckets past the
    // shorter window's end hand their timers to the heap (their tombstones just go): all of
    // them when it moves back further than its length (a deadline long past, or a wheel that
    // held only a far one, say a timer that never fires), which then come back as the window
    // reaches them.
    const std::uint32_t keep = shift >= ring ? 0 : ring - static_cast<std::uint32_t>(shift);
    std::size_t moving = 0;
    for (std::uint32_t p = keep; p < ring; ++p) {
      const Bucket& k = buckets_[(bucket_of(base_) + p) & ring_mask_];
      moving += k.size - k.head;
    }
    heap_.reserve(heap_.size() + moving);  // may throw: nothing is changed yet
    for (std::uint32_t p = keep; p < ring; ++p) {
      const std::uint32_t b = (bucket_of(base_) + p) & ring_mask_;
      Bucket& k = buckets_[b];
      for (std::uint32_t i = k.head; i < k.size; ++i) {
        if (is_live(k.nodes[i].slot)) {
          heap_push(full_node(b, k.nodes[i]));
        } else {
          free_slot(k.nodes[i].slot);
        }
      }
      wheel_nodes_ -= k.size - k.head;
      empty_bucket(b);
    }
    base_ = start;
    // The pushed timer's bucket, at the window's start, becomes the front when the timer
    // lands there. Until then (and should making room for it fail) the first remaining
    // bucket is the front.
    front_ = first_nonempty(0);
    fix_front();
  }
  if (!in_window(deadline)) return false;
  return reserve_bucket(buckets_[bucket_of(deadline)], true);
}

void TimerHeap::empty_bucket(std::uint32_t b) noexcept {
  Bucket& k = buckets_[b];
  k.head = k.size = 0;
  k.sorted = true;
  set_bit(nonempty_, b, false);
  if (k.nodes == nullptr) return;
  // Its storage goes to the spares, which the next bucket to fill takes: a periodic timer
  // moves on to a fresh bucket at every tick, and would otherwise allocate one at each, for
  // a whole turn of the ring, and keep them all.
  auto* spare = ::new (static_cast<void*>(k.nodes)) Spare{spare_, k.capacity};
  spare_ = spare;
  k.nodes = nullptr;
  k.capacity = 0;
}

bool TimerHeap::reserve_bucket(Bucket& k, bool may_throw) {
  if (k.size < k.capacity) return true;
  if (k.capacity == 0 && spare_ != nullptr) {
    Spare* const spare = spare_;
    spare_ = spare->next;
    k.capacity = spare->capacity;
    spare->~Spare();
    k.nodes = static_cast<WheelNode*>(static_cast<void*>(spare));
    return true;
  }
  if (k.head > 0) {  // slide the pending part down over what was popped
    std::memmove(static_cast<void*>(k.nodes), k.nodes + k.head,
                 (k.size - k.head) * sizeof(WheelNode));
    k.size -= k.head;
    k.head = 0;
    return true;
  }
  const std::uint32_t capacity = std::max<std::uint32_t>(8, 2 * k.capacity);
  const std::size_t bytes = std::size_t{capacity} * sizeof(WheelNode);
  void* memory = may_throw ? ::operator new(bytes) : ::operator new(bytes, std::nothrow);
  if (memory == nullptr) return false;
  auto* nodes = static_cast<WheelNode*>(memory);
  if (k.size > 0) std::memcpy(static_cast<void*>(nodes), k.nodes, k.size * sizeof(WheelNode));
  ::operator delete(k.nodes);
  k.nodes = nodes;
  k.capacity = capacity;
  return true;
}

void TimerHeap::wheel_insert(Clock::rep deadline, std::uint32_t slot) noexcept {
  const std::uint32_t b = bucket_of(deadline);
  Bucket& k = buckets_[b];
  const WheelNode node{static_cast<std::uint32_t>(deadline), slot};
  const WheelOrder less{this, static_cast<std::uint32_t>(bucket_start(b))};
  if (b == front_) {
    // The front stays sorted: usually the new timer goes last, after the ones due sooner.
    WheelNode* const end = k.nodes + k.size;
    WheelNode* const at = std::upper_bound(k.nodes + k.head, end, node, less);
    std::memmove(static_cast<void*>(at + 1), at,
                 static_cast<std::size_t>(end - at) * sizeof(WheelNode));
    *at = node;
    ++k.size;
  } else {
    if (k.sorted && k.size > k.head && less(node, k.nodes[k.size - 1])) k.sorted = false;
    k.nodes[k.size++] = node;
    set_bit(nonempty_, b, true);
    // Earlier than the front (or the first): its bucket was empty, so one node, in order.
    if (front_ == kNoBucket || position(b) < position(front_)) front_ = b;
  }
  ++wheel_nodes_;
}

std::uint32_t TimerHeap::first_nonempty(std::uint32_t from) const noexcept {
  const std::uint32_t ring = ring_mask_ + 1;
  const std::uint32_t start = bucket_of(base_);
  for (std::uint32_t p = from; p < ring;) {
    const std::uint32_t b = (start + p) & ring_mask_;
    // A run of buckets in one bitmap word, not wrapping around the ring.
    const std::uint32_t limit = b < start ? start : ring;
    const std::uint32_t end = std::min(limit, (b | 63u) + 1);
    const std::uint32_t span = end - b;
    std::uint64_t word = nonempty_[b >> 6] >> (b & 63);
    if (span < 64) word &= (std::uint64_t{1} << span) - 1;
    if (word != 0) return b + static_cast<std::uint32_t>(std::countr_zero(word));
    p += span;
  }
  return kNoBucket;
}

void TimerHeap::sort_bucket(std::uint32_t b) noexcept {
  Bucket& k = buckets_[b];
  std::sort(k.nodes + k.head, k.nodes + k.size,
            WheelOrder{this, static_cast<std::uint32_t>(bucket_start(b))});
  k.sorted = true;
}

void TimerHeap::fix_front() noexcept {
  while (front_ != kNoBucket) {
    Bucket& k = buckets_[front_];
    if (!k.sorted) sort_bucket(front_);
    while (k.head < k.size && !is_live(k.nodes[k.head].slot)) {
      free_slot(k.nodes[k.head].slot);  // a tombstone at the head is gone
      ++k.head;
      --wheel_nodes_;
    }
    if (k.head < k.size) return;
    empty_bucket(front_);
    // No scan when that was the wheel's last node: the usual case of a single timer (a
    // chain of delay(0) steps), at every step.
    front_ = wheel_nodes_ == 0 ? kNoBucket : first_nonempty(position(front_) + 1);
  }
}

void TimerHeap::settle_front() noexcept {
  fix_front();
  if (front_ == kNoBucket) {
    // The wheel is empty: move it to the heap's first timer and take the near ones in.
    if (heap_.empty() || !buckets_) return;
    base_ = heap_[0].deadline & ~((Clock::rep{1} << bucket_bits_) - 1);
    migrate();  // the nodes come in live and in order: the front needs nothing more
    return;
  }
  // Start the window at the front: the buckets freed at its end take the heap's timers that
  // are now near enough.
  const std::uint32_t p = position(front_);
  if (p > 0) {
    base_ += static_cast<Clock::rep>(p) << bucket_bits_;
    migrate();
  }
}

void TimerHeap::migrate() noexcept {
  // The heap's top is live. The nodes come out in order, after every wheel node (they were
  // past the window), so each bucket keeps its order and the front stays first.
  while (!heap_.empty() && in_window(heap_[0].deadline)) {
    const Node node = heap_[0];
    if (!reserve_bucket(buckets_[bucket_of(node.deadline)], false)) return;  // stays in the heap
    pop_top();
    wheel_insert(node.deadline, node.slot);
    drop_dead_top();
  }
}

void TimerHeap::compact_wheel() noexcept {
  if (!buckets_) return;
  {  // the reclaimer's counts are in the store when it ends, before fix_front()
    TimerStore::Reclaimer reclaim(store_);
    wheel_nodes_ = 0;
    for (std::uint32_t b = 0; b <= ring_mask_; ++b) {
      if (!bit(nonempty_, b)) continue;
      Bucket& k = buckets_[b];
      // As in compact_heap(): without branches, the order kept.
      std::uint32_t kept = 0;
      for (std::uint32_t i = k.head; i < k.size; ++i) {
        const WheelNode n = k.nodes[i];
        k.nodes[kept] = n;
        kept += reclaim.keep(n.slot);
      }
      k.head = 0;
      k.size = kept;
      wheel_nodes_ += kept;
      if (kept == 0) empty_bucket(b);
    }
  }
  front_ = first_nonempty(0);
  fix_front();  // sorts a new front, were it to change
}

void TimerHeap::clear_wheel() noexcept {
  if (!buckets_) return;
  for (std::uint32_t b = 0; b <= ring_mask_; ++b) empty_bucket(b);
  front_ = kNoBucket;
  wheel_nodes_ = 0;
}

}  // namespace runloop::detail
