#pragma once

#include <chrono>
#include <limits>

// Deadline arithmetic shared by the core and every backend: saturated, never overflowed,
// and rounded so that nothing ever fires before its deadline.
namespace runloop::detail {

using Clock = std::chrono::steady_clock;

// Native timers are never armed further out than this: the early wake-up finds nothing due
// and the core announces the deadline again. Every native API takes a day.
inline constexpr std::chrono::hours kMaxNativeDelay{24};

// `now + delay`, saturated: a delay too large for the clock is a deadline that never comes
// (time_point::max()), a negative one is `now`.
constexpr Clock::time_point saturating_deadline(Clock::time_point now,
                                                std::chrono::nanoseconds delay) noexcept {
  if (delay <= std::chrono::nanoseconds::zero()) return now;
  const auto room = Clock::time_point::max() - now;  // >= 0 for any real reading
  if (delay >= room) return Clock::time_point::max();
  return now + std::chrono::duration_cast<Clock::duration>(delay);
}

// How long a native wait may last for `deadline`, in `Unit`: rounded up (never early),
// never negative, capped at kMaxNativeDelay.
template <class Unit>
constexpr Unit native_timeout(Clock::time_point deadline, Clock::time_point now) noexcept {
  if (deadline <= now) return Unit::zero();
  const auto remaining = deadline - now;  // no overflow: both are valid and deadline > now
  if (remaining >= kMaxNativeDelay) return std::chrono::ceil<Unit>(kMaxNativeDelay);
  return std::chrono::ceil<Unit>(remaining);
}

}  // namespace runloop::detail
