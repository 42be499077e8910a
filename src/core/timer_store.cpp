// The timer store's slots: see timer_store.hpp for the layout and why.
#include "core/timer_store.hpp"

#include <algorithm>
#include <new>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace runloop::detail {
namespace {

constexpr std::align_val_t kLine{64};

enum class Access { read, write };

template <Access access, class T>
void prefetch_line(const T* address) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(address, access == Access::write ? 1 : 0);
#else
  (void)address;
#endif
}

// The three places a slot's timer lives: its cell, its sequence, its generation.
template <Access access, class Chunk>
void prefetch_slot(const Chunk& c, std::uint32_t index, std::size_t cell_bytes) noexcept {
  prefetch_line<access>(c.cells + std::size_t{index} * cell_bytes);
  prefetch_line<access>(&c.sequences[index]);
  prefetch_line<access>(&c.generations[index]);
}

}  // namespace

void TimerStore::ChunkDeleter::operator()(Chunk* chunk) const noexcept {
  chunk->~Chunk();
  ::operator delete(static_cast<void*>(chunk), kLine);
}

// Arming thousands of timers faults in a fresh page per 4 KiB of their storage, and on a VM
// a fault costs ~12 µs of the loop thread: most of 3a's scheduling. So on Linux a chunk past
// the first has its pages populated in one system call (~6.5 µs a page there; pages the
// allocator had already, a chunk reused after another loop's, cost nothing). The first
// chunk stays lazy: a plugin with three timers touches one page, not eleven. Not
// value-initialised either way: a cell, its sequence and generation are written when the
// cell is first handed out.
TimerStore::Chunk* TimerStore::make_chunk(bool populate) {
  void* memory = ::operator new(sizeof(Chunk), kLine);
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
  if (populate) {
    // The whole pages inside the chunk. Advice only: an older kernel refuses it, and the
    // pages then fault in as they are used.
    constexpr std::size_t kPage = 4096;
    const std::size_t skip = (kPage - reinterpret_cast<std::uintptr_t>(memory) % kPage) % kPage;
    const std::size_t length = (sizeof(Chunk) - skip) & ~(kPage - 1);
    if (length > 0)
      madvise(static_cast<unsigned char*>(memory) + skip, length, MADV_POPULATE_WRITE);
  }
#else
  (void)populate;
#endif
  return ::new (memory) Chunk;
}

TimerStore::~TimerStore() {
  // Only pending timers hold a callable that needs destroying: a fired or cancelled one's
  // was moved out, unless it was plain.
  for (std::uint32_t slot = 0; slot < slot_count_; ++slot) {
    if (is_live(slot) && needs_destroying(slot)) {
      Callback::destroy(kind_at(slot), cell(slot) + kStorage);
    }
  }
}

void TimerStore::add_chunk() {
  // Everything that may throw comes first, so a failure changes nothing.
  const std::size_t cells = (chunks_.size() + 1) << kChunkBits;
  if (chunks_.size() == chunks_.capacity()) chunks_.reserve(2 * chunks_.size() + 1);
  if (live_bits_.capacity() < cells / 64) {
    const std::size_t words = std::max(cells / 64, 2 * live_bits_.capacity());
    live_bits_.reserve(words);
    plain_bits_.reserve(words);
    large_bits_.reserve(words);
  }
  if (free_capacity_ < cells) {
    const std::size_t capacity = std::max(cells, 2 * free_capacity_);
    std::unique_ptr<std::uint32_t[]> free(new std::uint32_t[capacity]);
    std::copy_n(free_.get(), small_free_, free.get());
    std::copy_n(free_.get() + free_capacity_ - large_free_, large_free_,
                free.get() + capacity - large_free_);
    free_ = std::move(free);
    free_capacity_ = capacity;
  }
  chunks_.emplace_back(make_chunk(!chunks_.empty()));  // within capacity
  live_bits_.resize(cells / 64);                       // within capacity
  plain_bits_.resize(cells / 64);
  large_bits_.resize(cells / 64);
}

std::uint32_t TimerStore::bump(std::uint32_t cells) {
  const std::uint32_t first = (slot_count_ + cells - 1) & ~(cells - 1);
  if (first + cells > (chunks_.size() << kChunkBits)) add_chunk();  // chunks hold pairs whole
  for (std::uint32_t slot = slot_count_; slot < first + cells; ++slot) {
    chunk(slot).generations[slot & kChunkMask] = 0;
  }
  if (first != slot_count_) {  // the cell skipped to reach a pair serves a small timer later
    const Callback::Kind none = nullptr;
    std::memcpy(cell(slot_count_), &none, kKindBytes);
    free_[small_free_++] = slot_count_;
  }
  slot_count_ = first + cells;
  return first;
}

std::uint32_t TimerStore::allocate(const Callback& callback) {
  if (Callback::storage_size(callback.kind()) <= kSmall) {
    if (small_free_ > 0) {
      const std::uint32_t slot = free_[--small_free_];
      if (small_free_ > 0) prefetch_fill(free_[small_free_ - 1]);
      return slot;
    }
    return bump(1);
  }
  if (large_free_ > 0) {
    const std::uint32_t slot = free_[free_capacity_ - large_free_--];
    if (large_free_ > 0) prefetch_fill(free_[free_capacity_ - large_free_]);
    return slot;
  }
  return bump(2);
}

void TimerStore::prefetch_fill(std::uint32_t slot) const noexcept {
  prefetch_slot<Access::write>(chunk(slot), slot & kChunkMask, kCell);
}

std::uint32_t TimerStore::fill(std::uint32_t slot, Callback&& callback,
                               std::uint64_t sequence) noexcept {
  const Callback::Kind kind = callback.kind();
  const bool large = Callback::storage_size(kind) > kSmall;
  unsigned char* const at = cell(slot);
  std::memcpy(at, &kind, kKindBytes);
  if (large) {
    callback.move_out<kLarge>(at + kStorage);
  } else {
    callback.move_out<kSmall>(at + kStorage);
  }
  set_bit(plain_bits_, slot, Callback::destroys_nothing(kind));
  set_bit(large_bits_, slot, large);
  set_bit(live_bits_, slot, true);
  Chunk& c = chunk(slot);
  c.sequences[slot & kChunkMask] = sequence;
  return ++c.generations[slot & kChunkMask];  // odd: pending
}

void TimerStore::take(std::uint32_t slot, Callback& out) noexcept {
  out.reset();
  unsigned char* const at = cell(slot);
  if (bit(large_bits_, slot)) {
    out.move_in<kLarge>(kind_at(slot), at + kStorage);
  } else {
    out.move_in<kSmall>(kind_at(slot), at + kStorage);
  }
}

void TimerStore::release(std::uint32_t slot) noexcept {
  if (bit(large_bits_, slot)) {
    free_[free_capacity_ - 1 - large_free_++] = slot;
  } else {
    free_[small_free_++] = slot;
  }
}

void TimerStore::prefetch(std::uint32_t slot) const noexcept {
  prefetch_slot<Access::read>(chunk(slot), slot & kChunkMask, kCell);
}

}  // namespace runloop::detail
