#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "runloop/detail/callback.hpp"

namespace runloop::detail {

// Pending timers ordered by (deadline, sequence), so equal deadlines fire first-in
// first-out. Each timer lives in a reusable slot addressed by (slot, generation); a stale id
// (fired or cancelled) is recognised by its generation.
//
// Shaped by measurement (bench/ case 3, 100k timers scheduled in random order, cancelled in
// random order, or fired over 1 s; docs/benchmarks.md). With 100k timers nothing fits in L2,
// so the cost is cache misses, and each operation is laid out to take as few as possible:
// - A slot's callback and sequence fill one 64-byte line (Entry), which a pop reads once
//   (prefetched while the previous timer runs). What a cancel needs is kept apart and dense:
//   the slots' generations (4 bytes each, 400 KiB for 100k: cached where 6 MiB of entries
//   are not), a bitmap of the live ones and a bitmap of the "plain" ones, whose callback
//   needs no destruction (trivially destructible: most lambdas). Cancelling a plain timer
//   does not touch its entry at all; the next timer in that slot overwrites it.
// - Cancel is lazy: it destroys the callback and leaves the node as a tombstone, dropped when
//   it reaches the top. The heap is rebuilt when tombstones outnumber live timers (cancelled
//   timeouts are common), so memory stays bounded. Dropping and rebuilding read the live
//   bitmap (12 KiB for 100k), never the entries.
// - A node is 16 bytes (deadline, slot), and the heap is 4-ary with each node's four
//   children in one 64-byte line: half the depth of a binary heap, one line per level.
//   Popping sends the hole down to a leaf choosing the least child without branches (whose
//   outcome is random), then sifts the last node up from there (Floyd's trick: it belongs
//   near the bottom). Deadlines alone decide, unless children tie, which is checked.
// - Entries sit in fixed-size chunks, never moved when the store grows. A cancelled timer's
//   slot is not reused until its tombstone has left the heap, so a node's slot always
//   describes that node's timer. Free slots are a stack: a new timer reuses the line that was
//   freed last, the likeliest to be cached.
// Invariant: the top of the heap, if any, is a live timer, so next_deadline() is exact.
class TimerHeap {
 public:
  using Clock = std::chrono::steady_clock;

  struct Id {
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
  };

  TimerHeap() = default;
  TimerHeap(const TimerHeap&) = delete;
  TimerHeap& operator=(const TimerHeap&) = delete;
  ~TimerHeap();

  // Takes the callback only if it succeeds (else it throws and `callback` is untouched).
  Id push(Clock::time_point deadline, Callback&& callback);
  // Removes a pending timer; false for a stale id. Its callback goes to `out` for the
  // caller to destroy (its destructor may re-enter the heap), unless destroying it would do
  // nothing: then `out` is left empty and the callback's memory is not even read.
  bool remove(Id id, Callback& out) noexcept;
  bool contains(Id id) const noexcept {
    return (id.generation & 1u) != 0 && id.slot < slot_count_ &&
           generations_[id.slot] == id.generation;
  }

  bool empty() const noexcept { return live_ == 0; }
  std::size_t size() const noexcept { return live_; }
  std::optional<Clock::time_point> next_deadline() const noexcept {
    if (heap_.empty()) return std::nullopt;
    return Clock::time_point(Clock::duration(heap_[0].deadline));
  }
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
  // Where a pending timer's callback is not plain (see above), or it fired, `callback` is
  // emptied; a cancelled plain one is left as it was, and is dead: nothing may run it.
  struct alignas(64) Entry {
    Callback callback;
    std::uint64_t sequence = 0;
  };
  static_assert(sizeof(Entry) == 64, "one cache line per timer");
  static constexpr std::size_t kArity = 4;
  // Node i is stored at i + kPad, so that the children of every node (kArity * i + 1 ...)
  // start on a cache-line boundary.
  static constexpr std::size_t kPad = kArity - 1;
  // 1024 entries (64 KiB) per chunk: few allocations, each of which may fault in a page of
  // its own for malloc's header.
  static constexpr std::uint32_t kChunkBits = 10;
  static constexpr std::uint32_t kChunkMask = (1u << kChunkBits) - 1;

  // The heap's storage: nodes in fixed-size, line-aligned blocks. Growing never copies nor
  // moves a node: no pause at a doubling, no second buffer to fault in (fresh pages cost
  // 1-20 µs each on a VM), and the heap never holds twice its size. A row of children
  // (kArity * i + 1 ...) starts on a line boundary and lies in one block.
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
    void reserve_one();                       // may throw; then grow_by_one() cannot
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

  // Entries in chunks of line-aligned raw storage, constructed on first use.
  struct ChunkDeleter {
    void operator()(Entry* chunk) const noexcept;
  };
  using Chunk = std::unique_ptr<Entry, ChunkDeleter>;

  Entry& entry(std::uint32_t slot) noexcept {
    return chunks_[slot >> kChunkBits].get()[slot & kChunkMask];
  }
  const Entry& entry(std::uint32_t slot) const noexcept {
    return chunks_[slot >> kChunkBits].get()[slot & kChunkMask];
  }
  static bool bit(const std::vector<std::uint64_t>& bits, std::uint32_t slot) noexcept {
    return (bits[slot >> 6] >> (slot & 63)) & 1u;
  }
  static void set_bit(std::vector<std::uint64_t>& bits, std::uint32_t slot, bool value) noexcept {
    const std::uint64_t mask = std::uint64_t{1} << (slot & 63);
    bits[slot >> 6] = (bits[slot >> 6] & ~mask) | (value ? mask : 0);
  }
  bool is_live(std::uint32_t slot) const noexcept { return bit(live_bits_, slot); }
  bool earlier(const Node& a, const Node& b) const noexcept {
    return a.deadline < b.deadline ||
           (a.deadline == b.deadline && entry(a.slot).sequence < entry(b.slot).sequence);
  }
  std::uint32_t allocate_slot();  // may throw
  void free_slot(std::uint32_t slot) noexcept { free_slots_[free_count_++] = slot; }
  void add_chunk();  // may throw
  std::size_t least_child(std::size_t first, std::size_t end) const noexcept;
  void sift_up(std::size_t index, Node node) noexcept;
  void sift_down(std::size_t index, Node node) noexcept;
  void pop_top() noexcept;
  void drop_dead_top() noexcept;
  void compact_if_sparse() noexcept;

  Nodes heap_;  // live timers and tombstones
  std::vector<Chunk> chunks_;
  std::vector<std::uint32_t> generations_;  // per slot; odd while its timer is pending
  std::vector<std::uint64_t> live_bits_;    // bit per slot: pending
  std::vector<std::uint64_t> plain_bits_;   // bit per slot: its callback needs no destruction
  // Free slots, a stack with room for every slot: freeing never allocates.
  std::unique_ptr<std::uint32_t[]> free_slots_;
  std::size_t free_count_ = 0;
  std::size_t free_capacity_ = 0;
  std::uint32_t slot_count_ = 0;  // entries constructed so far
  std::size_t live_ = 0;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace runloop::detail
