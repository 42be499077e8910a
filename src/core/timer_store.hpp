#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "runloop/detail/callback.hpp"

namespace runloop::detail {

// Bitmaps of slots and buckets (the timer store's, the wheel's), a bit per index.
inline bool bit(const std::vector<std::uint64_t>& bits, std::uint32_t i) noexcept {
  return (bits[i >> 6] >> (i & 63)) & 1u;
}
inline void set_bit(std::vector<std::uint64_t>& bits, std::uint32_t i, bool value) noexcept {
  const std::uint64_t mask = std::uint64_t{1} << (i & 63);
  bits[i >> 6] = (bits[i >> 6] & ~mask) | (value ? mask : 0);
}

// Where the timer heap (timer_heap.hpp) keeps each pending timer's callback, sequence number
// and generation, in numbered slots that never move.
//
// Shaped by bytes, not instructions: a program that arms 100k timers touches every byte of
// their storage for the first time, and on a VM a fresh page costs ~12 µs (bench row 3a":
// most of 3a's CPU was page faults). So a slot is one 32-byte cell: the callable's kind (8)
// and 24 bytes of storage, which hold a callable of up to three pointers (a task's wake-up,
// `[&state, loop, index]`). A bigger one (up to Callback's 48 inline bytes) takes two cells,
// one 64-byte line at an even cell; bigger still, Callback keeps it on the heap and the cell
// holds the pointer. Sequence numbers (8 bytes) and generations (4) sit in arrays of their
// own beside the cells: the pop reads a sequence, a cancel only a generation. Each chunk of
// cells carries its own arrays, so growing copies nothing.
//
// What a cancel or a rebuild needs is dense: bitmaps of the live slots, of the "plain" ones
// (whose callable needs no destruction: cancelling one touches no cell) and of the two-cell
// ones. Free slots are two stacks in one array, one-cell slots from the bottom, two-cell
// slots from the top: a new timer reuses the slot freed last, the likeliest to be cached,
// and freeing never allocates.
class TimerStore {
 public:
  // Bytes of callable a one-cell and a two-cell slot hold.
  static constexpr std::size_t kSmall = 24;
  static constexpr std::size_t kLarge = Callback::kInlineSize;

  TimerStore() = default;
  TimerStore(const TimerStore&) = delete;
  TimerStore& operator=(const TimerStore&) = delete;
  ~TimerStore();

  // A free slot with room for `callback` (may throw; then nothing changed).
  std::uint32_t allocate(const Callback& callback);
  // Makes an allocated slot pending with `callback` (taken); returns its generation (odd).
  std::uint32_t fill(std::uint32_t slot, Callback&& callback, std::uint64_t sequence) noexcept;

  bool contains(std::uint32_t slot, std::uint32_t generation) const noexcept {
    return (generation & 1u) != 0 && slot < slot_count_ && generation_of(slot) == generation;
  }
  bool is_live(std::uint32_t slot) const noexcept { return bit(live_bits_, slot); }
  std::uint64_t sequence(std::uint32_t slot) const noexcept {
    return chunk(slot).sequences[slot & kChunkMask];
  }
  // Ends a pending timer (fired, cancelled or taken): a new generation, not live. A plain
  // callable stays in the cell, dead: nothing may run it.
  void retire(std::uint32_t slot) noexcept {
    ++chunk(slot).generations[slot & kChunkMask];  // even
    set_bit(live_bits_, slot, false);
  }
  // Whether taking the (retired) slot's callable is needed to destroy it.
  bool needs_destroying(std::uint32_t slot) const noexcept { return !bit(plain_bits_, slot); }
  // Moves the callable out of a retired slot.
  void take(std::uint32_t slot, Callback& out) noexcept;
  // The slot serves a new timer from now on: its tombstone, if any, is gone.
  void release(std::uint32_t slot) noexcept;
  // Asks for what popping `slot` will touch, ahead of the pop.
  void prefetch(std::uint32_t slot) const noexcept;

  // Releases the slots of dead nodes while a node array is rebuilt, without branches on
  // liveness (which is random): keep(slot) is 1 for a live slot, else it releases it and is
  // 0. Done when destroyed.
  class Reclaimer {
   public:
    explicit Reclaimer(TimerStore& store) noexcept
        : store_(store), small_(store.small_free_), large_(store.large_free_) {}
    Reclaimer(const Reclaimer&) = delete;
    Reclaimer& operator=(const Reclaimer&) = delete;
    ~Reclaimer() {
      store_.small_free_ = small_;
      store_.large_free_ = large_;
    }
    std::uint32_t keep(std::uint32_t slot) noexcept {
      const std::uint32_t live = bit(store_.live_bits_, slot);
      const std::uint32_t large = bit(store_.large_bits_, slot);
      // Written at both stacks' tops, counted at most at one: there is room, as this slot
      // is not free yet.
      std::uint32_t* const free = store_.free_.get();
      free[small_] = slot;
      free[store_.free_capacity_ - 1 - large_] = slot;
      small_ += (live | large) ^ 1u;
      large_ += large & (live ^ 1u);
      return live;
    }

   private:
    TimerStore& store_;
    std::size_t small_;
    std::size_t large_;
  };

 private:
  static constexpr std::size_t kCell = 32;
  static constexpr std::uint32_t kChunkBits = 10;  // 1024 cells (44 KiB) per chunk
  static constexpr std::uint32_t kChunkSlots = 1u << kChunkBits;
  static constexpr std::uint32_t kChunkMask = kChunkSlots - 1;
  struct alignas(64) Chunk {
    // A cell: the kind at its start, the callable's storage after it (a two-cell slot's
    // runs on into the next cell).
    unsigned char cells[kChunkSlots * kCell];
    std::uint64_t sequences[kChunkSlots];
    std::uint32_t generations[kChunkSlots];  // odd while pending
  };
  struct ChunkDeleter {
    void operator()(Chunk* chunk) const noexcept;
  };
  static Chunk* make_chunk(bool populate);  // may throw

  Chunk& chunk(std::uint32_t slot) noexcept { return *chunks_[slot >> kChunkBits]; }
  const Chunk& chunk(std::uint32_t slot) const noexcept { return *chunks_[slot >> kChunkBits]; }
  unsigned char* cell(std::uint32_t slot) noexcept {
    return chunk(slot).cells + std::size_t{slot & kChunkMask} * kCell;
  }
  // A kind is a pointer: its bytes, and where the callable's storage starts in the cell.
  static constexpr std::size_t kKindBytes = sizeof(void*);
  static constexpr std::size_t kStorage = kKindBytes;
  static_assert(kStorage + kSmall == kCell && kStorage + kLarge <= 2 * kCell);
  static_assert(std::is_pointer_v<Callback::Kind>);
  Callback::Kind kind_at(std::uint32_t slot) noexcept {
    Callback::Kind kind = nullptr;
    std::memcpy(&kind, cell(slot), kKindBytes);
    return kind;
  }
  std::uint32_t generation_of(std::uint32_t slot) const noexcept {
    return chunk(slot).generations[slot & kChunkMask];
  }
  // Asks for what filling `slot` will write. allocate() calls it for the slot it will hand
  // out next: a burst of timers reuses slots freed in random order (by a rebuild, in the
  // order of the nodes), and this overlaps each one's cache misses with the timer before.
  void prefetch_fill(std::uint32_t slot) const noexcept;
  // The next never-used cells (`cells` of them, at an even cell for two), chunks added first.
  std::uint32_t bump(std::uint32_t cells);
  void add_chunk();  // may throw

  std::vector<std::unique_ptr<Chunk, ChunkDeleter>> chunks_;
  std::vector<std::uint64_t> live_bits_;   // bit per cell: a pending timer's first cell
  std::vector<std::uint64_t> plain_bits_;  // its callable needs no destruction
  std::vector<std::uint64_t> large_bits_;  // a two-cell slot's first cell
  std::unique_ptr<std::uint32_t[]> free_;  // [0, small_free_) and the last large_free_
  std::size_t free_capacity_ = 0;          // one entry per cell: room for every slot
  std::size_t small_free_ = 0;
  std::size_t large_free_ = 0;
  std::uint32_t slot_count_ = 0;  // cells handed out so far
};

}  // namespace runloop::detail
