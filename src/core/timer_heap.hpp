#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "runloop/detail/callback.hpp"

namespace runloop::detail {

// Pending timers ordered by (deadline, sequence), so equal deadlines fire first-in
// first-out. Callbacks live in a slab of reusable slots addressed by (slot, generation):
// schedule and cancel are O(log n) with no allocation once the slab has grown, and a
// stale id (fired or cancelled) is recognised by its generation.
class TimerHeap {
 public:
  using Clock = std::chrono::steady_clock;

  struct Id {
    std::uint32_t slot = 0;
    std::uint32_t generation = 0;
  };

  Id push(Clock::time_point deadline, Callback callback);
  // Removes a pending timer and returns its callback for the caller to destroy (its
  // destructor may re-enter the heap). Returns an empty Callback for a stale id.
  Callback remove(Id id) noexcept;
  bool contains(Id id) const noexcept;

  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
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
    std::uint64_t sequence;
    std::uint32_t slot;
  };
  struct Slot {
    Callback callback;
    std::uint32_t heap_index = 0;
    std::uint32_t generation = 0;
    std::uint32_t next_free = 0;
  };
  static constexpr std::uint32_t kNoSlot = UINT32_MAX;

  static bool earlier(const Node& a, const Node& b) noexcept {
    return a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence);
  }
  void place(std::size_t index, const Node& node) noexcept;
  void sift_up(std::size_t index, Node node) noexcept;
  void sift_down(std::size_t index, Node node) noexcept;
  Callback erase_at(std::size_t index) noexcept;
  void release_slot(std::uint32_t slot) noexcept;

  std::vector<Node> heap_;
  std::vector<Slot> slots_;
  std::uint32_t free_head_ = kNoSlot;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace runloop::detail
