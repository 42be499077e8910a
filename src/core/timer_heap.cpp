// The public operations and the 4-ary heap of far deadlines; the wheel of near ones is in
// timer_wheel.cpp, the callbacks' store in timer_store.cpp. See timer_heap.hpp for why.
#include <algorithm>
#include <cassert>
#include <cstring>
#include <new>
#include <utility>

#include "core/timer_heap.hpp"

namespace runloop::detail {
namespace {

constexpr std::align_val_t kLine{64};

// `mask` all ones: a, else b. Without a branch.
template <class T>
T select(std::uint64_t mask, T a, T b) noexcept {
  const auto ua = static_cast<std::uint64_t>(a), ub = static_cast<std::uint64_t>(b);
  return static_cast<T>(ub ^ ((ua ^ ub) & mask));
}

}  // namespace

TimerHeap::Nodes::~Nodes() {
  for (Node* block : blocks_) ::operator delete(block, kLine);
}

void TimerHeap::Nodes::reserve(std::size_t size) {
  while (size + kPad > (blocks_.size() << kBlockBits)) {
    if (blocks_.size() == blocks_.capacity()) blocks_.reserve(2 * blocks_.size() + 1);
    blocks_.push_back(static_cast<Node*>(::operator new(sizeof(Node) << kBlockBits, kLine)));
  }
}

TimerHeap::TimerHeap(unsigned bucket_bits, unsigned ring_bits) noexcept
    : bucket_bits_(bucket_bits), ring_bits_(ring_bits), ring_mask_((1u << ring_bits) - 1) {
  assert(bucket_bits < 32);  // a WheelNode keeps 32 bits of a deadline
}

TimerHeap::~TimerHeap() {
  if (buckets_) {
    for (std::uint32_t b = 0; b <= ring_mask_; ++b) ::operator delete(buckets_[b].nodes);
  }
  while (spare_ != nullptr) {
    Spare* const spare = spare_;
    spare_ = spare->next;
    spare->~Spare();
    ::operator delete(static_cast<void*>(spare));
  }
}

TimerHeap::Id TimerHeap::push(Clock::time_point deadline, Callback&& callback) {
  const Clock::rep at = deadline.time_since_epoch().count();
  // Room first (each may throw, leaving the timers as they were), then nothing throws.
  const bool to_wheel = prepare_wheel_push(at);
  if (!to_wheel) heap_.reserve(heap_.size() + 1);
  const std::uint32_t slot = store_.allocate(callback);
  // Over a dead plain callback, if any: nothing to destroy.
  const std::uint32_t generation = store_.fill(slot, std::move(callback), next_sequence_++);
  ++live_;
  if (to_wheel) {
    wheel_insert(at, slot);
  } else {
    heap_push(Node{at, slot});
  }
  return Id{slot, generation};
}

bool TimerHeap::remove(Id id, Callback& out, bool* was_head) noexcept {
  if (!contains(id)) return false;
  store_.retire(id.slot);  // the slot stays with its tombstone
  --live_;
  if (store_.needs_destroying(id.slot)) store_.take(id.slot, out);
  bool head = false;
  if (front_ != kNoBucket && buckets_[front_].nodes[buckets_[front_].head].slot == id.slot) {
    head = true;
    settle_front();
  } else if (!heap_.empty() && heap_[0].slot == id.slot) {
    head = true;
    drop_dead_top();
  }
  if (was_head != nullptr) *was_head = head;
  compact_if_sparse();
  return true;
}

bool TimerHeap::first(Node& node, bool& from_wheel) const noexcept {
  from_wheel = front_ != kNoBucket;
  if (from_wheel) {
    node = full_node(front_, buckets_[front_].nodes[buckets_[front_].head]);
    if (!heap_.empty() && earlier(heap_[0], node)) {
      node = heap_[0];
      from_wheel = false;
    }
    return true;
  }
  if (heap_.empty()) return false;
  node = heap_[0];
  return true;
}

std::optional<TimerHeap::Clock::time_point> TimerHeap::next_deadline() const noexcept {
  Node node{};
  bool from_wheel = false;
  if (!first(node, from_wheel)) return {};
  return Clock::time_point(Clock::duration(node.deadline));
}

bool TimerHeap::pop_due(Clock::time_point now, std::uint64_t sequence_limit,
                        Callback& out) noexcept {
  Node node{};
  bool from_wheel = false;
  // Live, by the invariants.
  if (!first(node, from_wheel) || node.deadline > now.time_since_epoch().count()) return false;
  if (store_.sequence(node.slot) >= sequence_limit) return false;
  if (from_wheel) {
    ++buckets_[front_].head;
    --wheel_nodes_;
  } else {
    pop_top();
  }
  store_.retire(node.slot);
  --live_;
  store_.take(node.slot, out);
  free_slot(node.slot);
  if (from_wheel) {
    settle_front();
  } else {
    drop_dead_top();
  }
  // The next timers come in order from the front: fetch what their pops will touch (random
  // memory in the store) a few timers ahead.
  if (front_ != kNoBucket) {
    const Bucket& k = buckets_[front_];
    const std::uint32_t ahead = k.head + 3 < k.size ? k.head + 3 : k.head;
    store_.prefetch(k.nodes[ahead].slot);
  } else if (!heap_.empty()) {
    store_.prefetch(heap_[0].slot);
  }
  return true;
}

std::vector<Callback> TimerHeap::take_all() noexcept {
  std::vector<Callback> callbacks;
  callbacks.reserve(live_);
  const auto take = [&](std::uint32_t slot) {
    if (is_live(slot)) {
      store_.retire(slot);
      callbacks.emplace_back();
      store_.take(slot, callbacks.back());
    }
    free_slot(slot);
  };
  if (buckets_) {
    for (std::uint32_t b = 0; b <= ring_mask_; ++b) {
      const Bucket& k = buckets_[b];
      for (std::uint32_t i = k.head; i < k.size; ++i) take(k.nodes[i].slot);
    }
  }
  clear_wheel();
  for (std::size_t i = 0; i < heap_.size(); ++i) take(heap_[i].slot);
  heap_.clear();
  live_ = 0;
  return callbacks;
}

void TimerHeap::compact_if_sparse() noexcept {
  // Rebuilding costs O(timers) and happens only once tombstones outnumber live timers, so it
  // is O(1) per cancel, amortised. Liveness comes from the bitmap, not the entries.
  const std::size_t dead = wheel_nodes_ + heap_.size() - live_;
  if (dead < 64 || dead <= live_) return;
  compact_wheel();
  compact_heap();
}

// The least of the children first .. end - 1 (at least one), in the exact order.
std::size_t TimerHeap::least_child(std::size_t first, std::size_t end) const noexcept {
  std::size_t best = first;
  for (std::size_t child = first + 1; child < end; ++child) {
    if (earlier(heap_[child], heap_[best])) best = child;
  }
  return best;
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
    const std::size_t best = least_child(first, std::min(first + kArity, size));
    if (!earlier(heap_[best], node)) break;
    heap_[index] = heap_[best];
    index = best;
  }
  heap_[index] = node;
}

void TimerHeap::heap_push(Node node) noexcept {
  heap_.grow_by_one();
  sift_up(heap_.size() - 1, node);
}

void TimerHeap::pop_top() noexcept {
  const std::size_t size = heap_.size() - 1;
  const Node last = heap_[size];
  heap_.pop_back();
  if (size == 0) return;
  // The hole goes down to a leaf, then `last` (a late node, as it was a leaf) up from there.
  // Where all four children exist, the least deadline is picked without branches, whose
  // outcome would be random; only a possible tie for it needs the exact order.
  std::size_t hole = 0;
  for (;;) {
    const std::size_t first = hole * kArity + 1;
    if (first + kArity > size) break;
    const Node* c = &heap_[first];  // the row lies in one block
    const Clock::rep d0 = c[0].deadline, d1 = c[1].deadline;
    const Clock::rep d2 = c[2].deadline, d3 = c[3].deadline;
    // Selections by mask arithmetic: compilers turn a ?: or std::min on these into a branch.
    const std::uint64_t lt_a = 0 - static_cast<std::uint64_t>(d1 < d0);  // all ones or zero
    const std::uint64_t lt_b = 0 - static_cast<std::uint64_t>(d3 < d2);
    const Clock::rep da = select(lt_a, d1, d0);
    const Clock::rep db = select(lt_b, d3, d2);
    const std::uint64_t lt = 0 - static_cast<std::uint64_t>(db < da);
    std::size_t best = first + select(lt, 2 + (lt_b & 1), lt_a & 1);
    if ((da == db) | (d0 == d1) | (d2 == d3)) best = least_child(first, first + kArity);
    heap_[hole] = heap_[best];
    hole = best;
  }
  const std::size_t first = hole * kArity + 1;
  if (first < size) {  // a last, partial row of children, which have none
    const std::size_t best = least_child(first, size);
    heap_[hole] = heap_[best];
    hole = best;
  }
  sift_up(hole, last);
}

void TimerHeap::drop_dead_top() noexcept {
  while (!heap_.empty() && !is_live(heap_[0].slot)) {
    const std::uint32_t slot = heap_[0].slot;
    pop_top();
    free_slot(slot);  // its tombstone is gone: the slot may serve a new timer
  }
}

void TimerHeap::compact_heap() noexcept {
  // Without branches: whether a node is live is random.
  const std::size_t size = heap_.size();
  std::size_t kept = 0;
  {
    TimerStore::Reclaimer reclaim(store_);
    for (std::size_t i = 0; i < size; ++i) {
      const Node n = heap_[i];
      heap_[kept] = n;
      kept += reclaim.keep(n.slot);
    }
  }
  heap_.resize_down(kept);
  if (kept < 2) return;
  for (std::size_t i = (kept - 2) / kArity + 1; i-- > 0;) sift_down(i, heap_[i]);
}

}  // namespace runloop::detail
