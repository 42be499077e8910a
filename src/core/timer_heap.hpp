#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "runloop/detail/callback.hpp"

namespace runloop::detail {

// Pending timers ordered by (deadline, sequence), so equal deadlines fire first-in
// first-out. Callbacks live in reusable slots addressed by (slot, generation); a stale id
// (fired or cancelled) is recognised by its generation.
//
// Shaped by measurement (bench/, 100k timers scheduled in random order): popping is bound
// by cache misses, and the first version (a binary heap that kept every slot's heap
// position up to date, so each sift step also wrote a random slot) cost ~250 ns per pop and
// ~290 ns per schedule + cancel. So:
// - Cancel is lazy: it destroys nothing in the heap, it takes the callback (O(1)) and leaves
//   the node as a tombstone, dropped when it reaches the top. The heap is rebuilt when
//   tombstones outnumber live timers, so memory stays bounded when most timers are
//   cancelled (timeouts usually are). With no positions to maintain, sifting touches only
//   the heap array.
// - A node is 16 bytes (deadline, slot), and the heap is 4-ary with each node's four
//   children in one 64-byte cache line: half the depth of a binary heap, one line per level.
//   The sequence lives in the slot and is read only to break ties. A cancelled timer's slot
//   is not reused until its tombstone has left the heap, so a node's slot always describes
//   that node's timer.
// - Callbacks sit in fixed-size chunks, never moved when the store grows.
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

  Id push(Clock::time_point deadline, Callback callback);
  // Removes a pending timer and returns its callback for the caller to destroy (its
  // destructor may re-enter the heap). Returns an empty Callback for a stale id.
  Callback remove(Id id) noexcept;
  bool contains(Id id) const noexcept;

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
  struct Slot {
    std::uint64_t sequence = 0;
    std::uint32_t generation = 0;  // odd while the timer is pending
    std::uint32_t next_free = 0;
  };
  static constexpr std::uint32_t kNoSlot = UINT32_MAX;
  static constexpr std::size_t kArity = 4;
  // Node i is stored at i + kPad, so that the children of every node (kArity * i + 1 ...)
  // start on a cache-line boundary.
  static constexpr std::size_t kPad = kArity - 1;
  static constexpr std::uint32_t kChunkBits = 8;  // 256 callbacks (16 KiB) per chunk

  // The heap's storage: a vector of Nodes whose buffer is aligned to a cache line.
  class Nodes {
   public:
    Nodes() = default;
    Nodes(const Nodes&) = delete;
    Nodes& operator=(const Nodes&) = delete;
    ~Nodes();
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    Node& operator[](std::size_t i) noexcept { return data_[i + kPad]; }
    const Node& operator[](std::size_t i) const noexcept { return data_[i + kPad]; }
    void grow_by_one();  // may throw; the new last node is uninitialised
    void pop_back() noexcept { --size_; }
    void resize_down(std::size_t size) noexcept { size_ = size; }
    void clear() noexcept { size_ = 0; }

   private:
    Node* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;  // nodes, not counting the padding
  };

  bool earlier(const Node& a, const Node& b) const noexcept {
    return a.deadline < b.deadline ||
           (a.deadline == b.deadline && slots_[a.slot].sequence < slots_[b.slot].sequence);
  }
  bool is_live(const Node& node) const noexcept { return (slots_[node.slot].generation & 1u) != 0; }
  Callback& callback_at(std::uint32_t slot) noexcept {
    return chunks_[slot >> kChunkBits][slot & ((1u << kChunkBits) - 1)];
  }
  void free_slot(std::uint32_t slot) noexcept;
  void sift_up(std::size_t index, Node node) noexcept;
  void sift_down(std::size_t index, Node node) noexcept;
  void pop_top() noexcept;
  void drop_dead_top() noexcept;
  void compact_if_sparse() noexcept;

  Nodes heap_;  // live timers and tombstones
  std::vector<Slot> slots_;
  std::vector<std::unique_ptr<Callback[]>> chunks_;
  std::uint32_t free_head_ = kNoSlot;
  std::size_t live_ = 0;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace runloop::detail
