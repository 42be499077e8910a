#pragma once

// Real-time hand-off: values from an audio thread (or any thread that must never block) to
// the loop thread, with no lock, no allocation and no system call on the sending side.
//
// The producer only writes into a pre-allocated ring; the loop thread polls the ring from a
// timer of the core while the sender exists (see docs/design.md, "Real-time hand-off", for
// why the producer never wakes the loop).

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "runloop/export.hpp"
#include "runloop/handle.hpp"

namespace runloop {

namespace detail {

// Keeps what the producer writes, what the loop thread writes on delivery and what it writes
// on every poll on separate cache lines. 128 rather than 64: Apple silicon has 128-byte lines,
// and x86 prefetches lines in 128-byte pairs. (std::hardware_destructive_interference_size
// would make GCC warn that it is not ABI-stable.)
inline constexpr std::size_t kRealtimeLine = 128;

// The ring of one RealtimeSender, without its value type: the indices, the counters and the
// registration with the loop. Counts are free-running 64-bit counters (they do not wrap in
// practice: 2^64 values at one per nanosecond take 584 years), the slot indices wrap at
// `capacity` with a compare, so the capacity is exact and no division is needed.
//
// Reference counted: the owner (the RealtimeSender) holds one reference and the pending
// poll holds another, so that on_value may destroy the sender it is called for.
class RUNLOOP_API RealtimeChannel {
 public:
  RealtimeChannel(const RealtimeChannel&) = delete;
  RealtimeChannel& operator=(const RealtimeChannel&) = delete;

  // Throws RunLoopError off the loop thread or without a loop, std::invalid_argument for a
  // capacity of 0 or an interval that is not positive.
  static void check_arguments(std::size_t capacity, std::chrono::nanoseconds poll_interval);

  // Loop thread, once, after construction: arms the first poll. On failure (it throws) the
  // caller still owns the channel and must close() it.
  void start();
  // The owner lets go. On the loop thread no value is delivered after it returns; elsewhere
  // (misuse) delivery stops before the next value and the loop thread frees the ring.
  void close() noexcept;

  std::size_t capacity() const noexcept { return loop_capacity_; }
  std::chrono::nanoseconds poll_interval() const noexcept { return interval_; }
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

  // The loop-side machinery (src/core/realtime.cpp).
  void poll();
  // The pending poll was destroyed without running: the loop is gone (or the owner closed).
  void stop() noexcept;
  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept;

 protected:
  RealtimeChannel(std::size_t capacity, std::chrono::nanoseconds poll_interval,
                  void* storage) noexcept;
  virtual ~RealtimeChannel();

  // Loop thread: moves the values before the count `end` out of the ring one at a time and
  // hands each to on_value. A value leaves the ring before on_value sees it, so when
  // on_value throws, calling it again continues with the next value. Reads and writes the
  // position through the members on every step: on_value may run a nested loop that polls
  // this ring too.
  virtual void deliver(std::uint64_t end) = 0;

  // Producer: whether the next value has a slot (at tail_index()); when it has not (the ring
  // is full, or no longer delivered) the value has been counted as dropped. Bounded: a few
  // loads, one of them refreshed from the loop thread's line when the ring looks full.
  bool claim() noexcept {
    if (closed_.load(std::memory_order_relaxed)) return count_drop();
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - cached_head_ == capacity_) {
      cached_head_ = head_.load(std::memory_order_acquire);
      if (tail - cached_head_ == capacity_) return count_drop();
    }
    return true;
  }
  void* tail_slot(std::size_t value_size) const noexcept {
    return static_cast<unsigned char*>(storage_) + tail_index_ * value_size;
  }
  // Producer: makes the value written into the claimed slot visible to the loop thread.
  void publish() noexcept {
    tail_index_ = tail_index_ + 1 == capacity_ ? 0 : tail_index_ + 1;
    tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Loop thread: the slot of the oldest value, and the step past it.
  bool delivering() const noexcept { return !stopped_.load(std::memory_order_relaxed); }
  std::uint64_t delivered() const noexcept { return head_.load(std::memory_order_relaxed); }
  void* head_slot(std::size_t value_size) const noexcept {
    return static_cast<unsigned char*>(loop_storage_) + head_index_ * value_size;
  }
  void advance_head() noexcept {
    head_index_ = head_index_ + 1 == loop_capacity_ ? 0 : head_index_ + 1;
    head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  // Owner's destructor path, no producer left: how many values are still in the ring.
  std::uint64_t pending() const noexcept {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_relaxed);
  }

  void* storage() const noexcept { return loop_storage_; }

 private:
  bool count_drop() noexcept {
    // Single producer: no read-modify-write needed.
    dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return false;
  }

  // Each side reads only its own line and the other's counter: the storage and capacity are
  // kept twice for that.
  // Producer's line. closed_ is written once, by the loop thread.
  alignas(kRealtimeLine) std::atomic<std::uint64_t> tail_{0};  // values written
  std::uint64_t cached_head_ = 0;                              // the producer's view of head_
  std::size_t tail_index_ = 0;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<bool> closed_{false};
  void* const storage_;
  const std::size_t capacity_;

  // Loop thread's line, written once per delivered value.
  alignas(kRealtimeLine) std::atomic<std::uint64_t> head_{0};  // values taken out
  std::size_t head_index_ = 0;
  std::atomic<bool> stopped_{false};
  void* const loop_storage_;
  const std::size_t loop_capacity_;

  // Loop thread's line, written once per poll.
  alignas(kRealtimeLine) std::atomic<std::uint32_t> refs_{1};
  const std::chrono::nanoseconds interval_;
  Handle pending_poll_;
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "RealtimeSender needs lock-free 64-bit atomics");

// The ring knows its value type: storage and the producer's write.
template <class T>
class RealtimeRing : public RealtimeChannel {
 public:
  bool push(T& value) noexcept {
    if (!claim()) return false;
    ::new (tail_slot(sizeof(T))) T(std::move(value));
    publish();
    return true;
  }

 protected:
  RealtimeRing(std::size_t capacity, std::chrono::nanoseconds poll_interval)
      : RealtimeChannel(capacity, poll_interval, std::allocator<T>().allocate(capacity)) {}

  ~RealtimeRing() override {
    // Values never delivered are destroyed with the ring, on the thread that frees it.
    for (std::uint64_t n = pending(); n > 0; --n) {
      oldest()->~T();
      advance_head();
    }
    std::allocator<T>().deallocate(static_cast<T*>(storage()), capacity());
  }

  T* oldest() const noexcept { return std::launder(static_cast<T*>(head_slot(sizeof(T)))); }
};

// The ring with its callback.
template <class T, class F>
class RealtimeRingWith final : public RealtimeRing<T> {
 public:
  RealtimeRingWith(std::size_t capacity, std::chrono::nanoseconds poll_interval, F on_value)
      : RealtimeRing<T>(capacity, poll_interval), on_value_(std::move(on_value)) {}

 private:
  void deliver(std::uint64_t end) override {
    while (this->delivered() < end && this->delivering()) {
      T* slot = this->oldest();
      T value(std::move(*slot));
      slot->~T();
      this->advance_head();  // the slot is the producer's again
      std::invoke(on_value_, std::move(value));
    }
  }

  F on_value_;
};

}  // namespace detail

// A bounded, pre-allocated single-producer queue from one real-time thread (an audio
// callback) to the loop thread.
//
// - Created on the loop thread (RunLoopError otherwise) with a capacity and `on_value`,
//   which receives every value, in order, on the loop thread.
// - try_send() is wait-free: no lock, no allocation, no system call, a bounded number of
//   instructions. One producer thread at a time (a new producer needs a happens-before
//   edge with the previous one, e.g. a thread join).
// - Values are delivered by a poll on the loop thread every poll_interval(), so a value
//   arrives within poll_interval() plus the native loop's timer lateness (about 1 ms).
//   The poll costs one atomic load when nothing was sent.
// - `capacity` is exact: that many values may wait; the ring holds exactly that many slots.
// - T's move constructor and destructor run on the producer thread (a dropped value is
//   destroyed there), so they must be real-time safe too: trivially copyable types are.
// - Destroying the sender on the loop thread stops delivery at once (also from inside
//   on_value); values not yet delivered are destroyed. A producer still calling try_send()
//   on a destroyed sender is a bug of the caller, as for any destroyed object: stop (join)
//   the producer first. After the loop shuts down try_send() returns false.
template <class T>
class RealtimeSender {
  static_assert(std::is_object_v<T> && !std::is_const_v<T> && !std::is_array_v<T>,
                "RealtimeSender<T>: T must be a non-const object type");
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "RealtimeSender<T>: T must be nothrow-move-constructible (try_send is noexcept "
                "and the loop must take values out without throwing)");
  static_assert(std::is_nothrow_destructible_v<T>,
                "RealtimeSender<T>: T must be nothrow-destructible");

 public:
  static constexpr std::chrono::milliseconds kDefaultPollInterval{10};

  template <class F>
  requires std::invocable<F&, T&&> RealtimeSender(
      std::size_t capacity, F on_value,
      std::chrono::nanoseconds poll_interval = kDefaultPollInterval) {
    detail::RealtimeChannel::check_arguments(capacity, poll_interval);
    auto* ring = new detail::RealtimeRingWith<T, F>(capacity, poll_interval, std::move(on_value));
    try {
      ring->start();
    } catch (...) {
      ring->close();
      throw;
    }
    ring_ = ring;
  }

  RealtimeSender(RealtimeSender&& other) noexcept : ring_(std::exchange(other.ring_, nullptr)) {}
  RealtimeSender& operator=(RealtimeSender&& other) noexcept {
    if (this != &other) {
      reset();
      ring_ = std::exchange(other.ring_, nullptr);
    }
    return *this;
  }
  RealtimeSender(const RealtimeSender&) = delete;
  RealtimeSender& operator=(const RealtimeSender&) = delete;
  ~RealtimeSender() { reset(); }

  // Producer thread. False when the ring is full, the loop is gone or this sender was
  // moved from; the value is then dropped (destroyed on this thread) and, unless moved
  // from, counted by dropped().
  bool try_send(T value) noexcept { return ring_ != nullptr && ring_->push(value); }

  // Values refused by try_send() so far. Any thread.
  std::uint64_t dropped() const noexcept { return ring_ ? ring_->dropped() : 0; }
  std::chrono::nanoseconds poll_interval() const noexcept {
    return ring_ ? ring_->poll_interval() : std::chrono::nanoseconds(0);
  }
  std::size_t capacity() const noexcept { return ring_ ? ring_->capacity() : 0; }

 private:
  void reset() noexcept {
    if (ring_ != nullptr) std::exchange(ring_, nullptr)->close();
  }

  detail::RealtimeRing<T>* ring_ = nullptr;
};

}  // namespace runloop
