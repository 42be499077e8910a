#pragma once

#include <cstdint>

#include "core/loop_core.hpp"
#include "core/mailbox.hpp"

namespace runloop::detail {

// Loop thread only: the live core if the calling thread is the run loop thread and `epoch`
// names the current loop lifetime (0 accepts any), else nullptr.
LoopCore* current_core(std::uint64_t epoch = 0) noexcept;

// Same, but throws RunLoopError (NotInitialized / NotRunLoopThread) instead of nullptr.
LoopCore& require_core(std::uint64_t epoch);

// Any thread: the epoch of the live loop, 0 while there is none (or it is shutting down).
std::uint64_t live_epoch() noexcept;

// Any thread: one reference to the mailbox of the loop lifetime `epoch` (0 = current), or
// nullptr when that loop is gone.
Mailbox* acquire_mailbox(std::uint64_t epoch) noexcept;

}  // namespace runloop::detail
