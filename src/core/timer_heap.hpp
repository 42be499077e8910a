#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/timer_store.hpp"
#include "runloop/detail/callback.hpp"

namespace runloop::detail {

// Pending timers ordered by (deadline, sequence), so equal deadlines fire first-in
// first-out. Each timer lives in a reusable slot addressed by (slot, generation); a stale id
// (fired or cancelled) is recognised by its generation.
//
// Shaped by measurement (bench/ case 3: 100k timers scheduled in random order, then fired
// over 1 s or cancelled in random order; docs/benchmarks.md). With 100k timers nothing fits
// in L2, and between two wake-ups of a loop the caches go cold, so the cost is cache misses:
// a heap pop missed once per level, ~1 µs per timer. So the order is kept in two places:
// - A wheel of buckets, each 2^bucket_bits ns wide (~1 ms), over a window of 2^ring_bits
//   buckets (~1 s) from `base_`. A push appends to its bucket. The earliest non-empty bucket
//   (the front) is sorted when it becomes the front and kept sorted, and timers are popped
//   from its head: in order, from contiguous memory, and the entries of the next few are
//   prefetched. Sorting costs ~log2(bucket size) comparisons per timer.
// - A 4-ary heap (timer_heap.cpp) for deadlines past the window, moved into the wheel as the
//   window reaches them. Its nodes are 16 bytes and each node's four children share one
//   64-byte line; a pop sends the hole down choosing the least child without branches, then
//   sifts the last node up (Floyd's trick).
// The next timer is the lesser of the front's head and the heap's top, compared exactly; a
// timer placed in either is in order, so falling back to the heap (say, when a bucket cannot
// grow) is always correct.
//
// The callbacks live in a TimerStore (timer_store.hpp): numbered slots, a generation per slot
// (a stale id is recognised by it), a bitmap of the live ones. Cancel is lazy: the node stays
// as a tombstone until it reaches the front (or the top), and everything is rebuilt when
// tombstones outnumber live timers, reading only the live bitmap. A cancelled timer's slot
// is not released until its tombstone is gone, so a node's slot always describes its timer.
// Invariants: the front's head and the heap's top, where they exist, are live; the front is
// the first non-empty bucket of the window and is sorted; every wheel node lies in its
// bucket's interval of the window.
class TimerHeap {
 public:
  using Clock = std::chrono::steady_clock;

  struct Id {
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
  };

  // A bucket spans 2^bucket_bits ns, the window 2^ring_bits buckets. The defaults (~1.05 ms,
  // 1024 buckets: ~1.07 s ahead) suit real time; tests shrink them to reach every path.
  explicit TimerHeap(unsigned bucket_bits = 20, unsigned ring_bits = 10) noexcept;
  TimerHeap(const TimerHeap&) = delete;
  TimerHeap& operator=(const TimerHeap&) = delete;
  ~TimerHeap();

  // Takes the callback only if it succeeds (else it throws and `callback` is untouched).
  Id push(Clock::time_point deadline, Callback&& callback);
  // Removes a pending timer; false for a stale id. Its callback goes to `out` for the
  // caller to destroy (its destructor may re-enter the heap), unless destroying it would do
  // nothing: then `out` is left empty and the callback's memory is not even read.
  // `was_head`, if given, says whether it was at the head of the wheel or the heap, i.e.
  // whether the earliest deadline may have changed.
  bool remove(Id id, Callback& out, bool* was_head = nullptr) noexcept;
  bool contains(Id id) const noexcept { return store_.contains(id.slot, id.generation); }

  bool empty() const noexcept { return live_ == 0; }
  std::size_t size() const noexcept { return live_; }
  std::optional<Clock::time_point> next_deadline() const noexcept;
  // The sequence number the next push will get; timers pushed from now on compare >= it.
  std::uint64_t next_sequence() const noexcept { return next_sequence_; }

  // Pops the earliest timer if it is due at `now` and was pushed before `sequence_limit`.
  bool pop_due(Clock::time_point now, std::uint64_t sequence_limit, Callback& out) noexcept;

  // Empties the heap, handing every callback to the caller (shutdown).
  std::vector<Callback> take_all() noexcept;

 private:
  struct Node {
    Clock::rep deadline;
    std::uint32_t slot;
  };
  // A wheel node: its bucket's interval (under 2^32 ns) gives the deadline's high bits, so
  // the low 32 bits are enough. Half a Node: the wheel holds most timers, and fresh memory
  // is most of what arming many costs (see timer_store.hpp).
  struct WheelNode {
    std::uint32_t low;
    std::uint32_t slot;
  };
  struct Bucket {
    WheelNode* nodes = nullptr;  // [head, size) pending or tombstones
    std::uint32_t size = 0;
    std::uint32_t capacity = 0;
    std::uint32_t head = 0;
    bool sorted = true;  // [head, size) in order
  };
  // An empty bucket's storage, kept for the next bucket to fill (at least 8 nodes: room).
  struct Spare {
    Spare* next;
    std::uint32_t capacity;
  };
  static_assert(sizeof(Spare) <= 8 * sizeof(WheelNode));
  static constexpr std::uint32_t kNoBucket = UINT32_MAX;
  static constexpr std::size_t kArity = 4;
  // Node i is stored at i + kPad, so that the children of every node (kArity * i + 1 ...)
  // start on a cache-line boundary.
  static constexpr std::size_t kPad = kArity - 1;
  // The heap's storage: nodes in fixed-size, line-aligned blocks. Growing never copies nor
  // moves a node: no pause at a doubling, no second buffer to fault in (fresh pages cost
  // 1-20 µs each on a VM). A row of children lies in one line of one block.
  class Nodes {
   public:
    Nodes() = default;
    Nodes(const Nodes&) = delete;
    Nodes& operator=(const Nodes&) = delete;
    ~Nodes();
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    Node& operator[](std::size_t i) noexcept {
      const std::size_t at = i + kPad;
      return blocks_[at >> kBlockBits][at & kBlockMask];
    }
    const Node& operator[](std::size_t i) const noexcept {
      const std::size_t at = i + kPad;
      return blocks_[at >> kBlockBits][at & kBlockMask];
    }
    void reserve(std::size_t size);           // may throw; then growing up to `size` cannot
    void grow_by_one() noexcept { ++size_; }  // the new last node is uninitialised
    void pop_back() noexcept { --size_; }
    void resize_down(std::size_t size) noexcept { size_ = size; }
    void clear() noexcept { size_ = 0; }

   private:
    static constexpr std::size_t kBlockBits = 12;  // 4096 nodes (64 KiB) per block
    static constexpr std::size_t kBlockMask = (std::size_t{1} << kBlockBits) - 1;
    std::vector<Node*> blocks_;
    std::size_t size_ = 0;
  };

  bool is_live(std::uint32_t slot) const noexcept { return store_.is_live(slot); }
  bool earlier(const Node& a, const Node& b) const noexcept {
    return a.deadline < b.deadline ||
           (a.deadline == b.deadline && store_.sequence(a.slot) < store_.sequence(b.slot));
  }
  void free_slot(std::uint32_t slot) noexcept { store_.release(slot); }
  // The earliest node, from the front or the heap, if any (`from_wheel` says which).
  bool first(Node& node, bool& from_wheel) const noexcept;
  void compact_if_sparse() noexcept;

  // The heap (timer_heap.cpp).
  std::size_t least_child(std::size_t first, std::size_t end) const noexcept;
  void sift_up(std::size_t index, Node node) noexcept;
  void sift_down(std::size_t index, Node node) noexcept;
  void heap_push(Node node) noexcept;  // room reserved
  void pop_top() noexcept;
  void drop_dead_top() noexcept;
  void compact_heap() noexcept;

  // The wheel (timer_wheel.cpp).
  std::uint32_t bucket_of(Clock::rep deadline) const noexcept {
    return static_cast<std::uint32_t>(deadline >> bucket_bits_) & ring_mask_;
  }
  // Position of bucket `b` in the window: 0 for the bucket at base_.
  std::uint32_t position(std::uint32_t b) const noexcept {
    return (b - bucket_of(base_)) & ring_mask_;
  }
  Clock::rep bucket_start(std::uint32_t b) const noexcept {
    return base_ + (static_cast<Clock::rep>(position(b)) << bucket_bits_);
  }
  Node full_node(std::uint32_t b, WheelNode node) const noexcept {
    const auto start = bucket_start(b);
    return Node{start + (node.low - static_cast<std::uint32_t>(start)), node.slot};
  }
  // The exact order of the nodes of one bucket, whose start's low bits are `start`.
  struct WheelOrder {
    const TimerHeap* heap;
    std::uint32_t start;
    bool operator()(WheelNode a, WheelNode b) const noexcept {
      const std::uint32_t da = a.low - start, db = b.low - start;
      return da < db || (da == db && heap->store_.sequence(a.slot) < heap->store_.sequence(b.slot));
    }
  };
  bool in_window(Clock::rep deadline) const noexcept {
    return deadline >= base_ &&
           static_cast<std::uint64_t>(deadline) - static_cast<std::uint64_t>(base_) <
               (std::uint64_t{1} << (bucket_bits_ + ring_bits_));
  }
  // Makes room for a push at `deadline` (may throw): moves the window back over it when it
  // is earlier, then returns whether it goes to the wheel (its bucket has room) or the heap.
  bool prepare_wheel_push(Clock::rep deadline);
  void wheel_insert(Clock::rep deadline, std::uint32_t slot) noexcept;  // room reserved
  bool reserve_bucket(Bucket& bucket, bool may_throw);
  void empty_bucket(std::uint32_t b) noexcept;  // its storage to the spares
  std::uint32_t first_nonempty(std::uint32_t from_position) const noexcept;
  // Restores the front's invariants (sorted, a live head; an emptied bucket hands over to
  // the next one) without moving the window.
  void fix_front() noexcept;
  // The same after the front's head left, then moves the window up to the front.
  void settle_front() noexcept;
  void sort_bucket(std::uint32_t b) noexcept;
  void migrate() noexcept;
  void compact_wheel() noexcept;
  void clear_wheel() noexcept;

  const unsigned bucket_bits_;
  const unsigned ring_bits_;
  const std::uint32_t ring_mask_;

  TimerStore store_;
  std::size_t live_ = 0;
  std::uint64_t next_sequence_ = 0;

  // The wheel.
  std::unique_ptr<Bucket[]> buckets_;    // allocated by the first push
  std::vector<std::uint64_t> nonempty_;  // bit per bucket
  Clock::rep base_ = 0;                  // the window's start, a multiple of the bucket width
  std::uint32_t front_ = kNoBucket;      // the first non-empty bucket of the window
  std::size_t wheel_nodes_ = 0;          // live and tombstones
  Spare* spare_ = nullptr;               // storage of emptied buckets

  // The heap: deadlines past the window (or that found no room in it).
  Nodes heap_;
};

}  // namespace runloop::detail
