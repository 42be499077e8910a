#include "core/timer_heap.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

namespace runloop::detail {
namespace {

constexpr std::align_val_t kLine{64};

// Asks for a cache line ahead of use: the heap's next top entry is random memory, fetched
// while the current callback runs.
template <class T>
void prefetch(const T* address) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(address);
#else
  (void)address;
#endif
}

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

void TimerHeap::Nodes::reserve_one() {
  if (size_ + kPad < (blocks_.size() << kBlockBits)) return;
  if (blocks_.size() == blocks_.capacity()) blocks_.reserve(2 * blocks_.size() + 1);
  blocks_.push_back(static_cast<Node*>(::operator new(sizeof(Node) << kBlockBits, kLine)));
}

void TimerHeap::ChunkDeleter::operator()(Entry* chunk) const noexcept {
  ::operator delete(static_cast<void*>(chunk), kLine);
}

TimerHeap::~TimerHeap() {
  for (std::uint32_t slot = 0; slot < slot_count_; ++slot) entry(slot).~Entry();
}

void TimerHeap::add_chunk() {
  // Everything that may throw comes first, so a failure changes nothing.
  const std::size_t slots = (chunks_.size() + 1) << kChunkBits;
  if (chunks_.size() == chunks_.capacity()) chunks_.reserve(2 * chunks_.size() + 1);
  if (generations_.capacity() < slots) {
    const std::size_t capacity = std::max(slots, 2 * generations_.capacity());
    generations_.reserve(capacity);
    live_bits_.reserve(capacity / 64);
    plain_bits_.reserve(capacity / 64);
  }
  if (free_capacity_ < slots) {
    const std::size_t capacity = std::max(slots, 2 * free_capacity_);
    std::unique_ptr<std::uint32_t[]> free_slots(new std::uint32_t[capacity]);
    if (free_count_ > 0) {
      std::memcpy(free_slots.get(), free_slots_.get(), free_count_ * sizeof(std::uint32_t));
    }
    free_slots_ = std::move(free_slots);
    free_capacity_ = capacity;
  }
  chunks_.emplace_back(static_cast<Entry*>(::operator new(sizeof(Entry) << kChunkBits, kLine)));
  generations_.resize(slots);     // within capacity
  live_bits_.resize(slots / 64);  // likewise
  plain_bits_.resize(slots / 64);
}

std::uint32_t TimerHeap::allocate_slot() {
  if (free_count_ > 0) return free_slots_[--free_count_];
  if ((slot_count_ >> kChunkBits) == chunks_.size()) add_chunk();
  const std::uint32_t slot = slot_count_;
  ::new (static_cast<void*>(&entry(slot))) Entry();
  ++slot_count_;
  return slot;
}

TimerHeap::Id TimerHeap::push(Clock::time_point deadline, Callback&& callback) {
  heap_.reserve_one();                         // may throw: nothing is changed yet
  const std::uint32_t slot = allocate_slot();  // may throw likewise
  Entry& e = entry(slot);
  set_bit(plain_bits_, slot, callback.trivially_destructible());
  e.callback = std::move(callback);  // over a dead plain callback, if any: nothing to destroy
  e.sequence = next_sequence_++;
  const std::uint32_t generation = ++generations_[slot];  // odd: pending
  set_bit(live_bits_, slot, true);
  ++live_;
  heap_.grow_by_one();
  sift_up(heap_.size() - 1, Node{deadline.time_since_epoch().count(), slot});
  return Id{slot, generation};
}

bool TimerHeap::remove(Id id, Callback& out) noexcept {
  if (!contains(id)) return false;
  ++generations_[id.slot];  // even: cancelled; the slot stays with its tombstone
  set_bit(live_bits_, id.slot, false);
  --live_;
  if (!bit(plain_bits_, id.slot)) out = std::move(entry(id.slot).callback);
  if (heap_[0].slot == id.slot) drop_dead_top();
  compact_if_sparse();
  return true;
}

bool TimerHeap::pop_due(Clock::time_point now, std::uint64_t sequence_limit,
                        Callback& out) noexcept {
  if (heap_.empty()) return false;
  const Node top = heap_[0];  // live, by the invariant
  if (top.deadline > now.time_since_epoch().count()) return false;
  Entry& e = entry(top.slot);
  if (e.sequence >= sequence_limit) return false;
  pop_top();
  ++generations_[top.slot];  // even: fired
  set_bit(live_bits_, top.slot, false);
  --live_;
  out = std::move(e.callback);
  free_slot(top.slot);
  drop_dead_top();
  if (!heap_.empty()) prefetch(&entry(heap_[0].slot));
  return true;
}

std::vector<Callback> TimerHeap::take_all() noexcept {
  std::vector<Callback> callbacks;
  callbacks.reserve(live_);
  for (std::size_t i = 0; i < heap_.size(); ++i) {
    const std::uint32_t slot = heap_[i].slot;
    if (is_live(slot)) {
      ++generations_[slot];
      set_bit(live_bits_, slot, false);
      callbacks.push_back(std::move(entry(slot).callback));
    }
    free_slot(slot);
  }
  heap_.clear();
  live_ = 0;
  return callbacks;
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

void TimerHeap::compact_if_sparse() noexcept {
  // Rebuilding costs O(heap size) and happens only once tombstones outnumber live timers,
  // so it is O(1) per cancel, amortised. Liveness comes from the bitmap, not the entries.
  const std::size_t dead = heap_.size() - live_;
  if (dead < 64 || dead <= live_) return;
  // Without branches: whether a node is live is random.
  const std::size_t size = heap_.size();
  std::uint32_t* const free = free_slots_.get();
  std::size_t freed = free_count_;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < size; ++i) {
    const Node n = heap_[i];
    const std::size_t live = (live_bits_[n.slot >> 6] >> (n.slot & 63)) & 1u;
    heap_[kept] = n;
    free[freed] = n.slot;  // room: a live node is written one past the freed so far
    kept += live;
    freed += live ^ 1u;
  }
  free_count_ = freed;
  heap_.resize_down(kept);
  if (kept < 2) return;
  for (std::size_t i = (kept - 2) / kArity + 1; i-- > 0;) sift_down(i, heap_[i]);
}

}  // namespace runloop::detail
