#pragma once

#include <chrono>
#include <cstddef>

// How much of the host's loop one pass of ours may take. The host's main loop belongs to the
// host: after one batch we return to it, and its input, redraw and timers run before our
// next batch. docs/design.md ("Being a good guest") has the measurements behind the numbers.
namespace runloop::detail {

// Callbacks (sends, timers, task steps) per phase of one batch. A no-op callback costs
// 20-50 ns, so a full batch of them is ~10 us: large enough that one native iteration per
// batch (~1 us with GLib's poll) is noise in throughput, small enough to be invisible.
inline constexpr std::size_t kMaxBatchCallbacks = 256;

// Wall time per batch, for callbacks that are not no-ops. The host's frame is ~16 ms.
inline constexpr std::chrono::milliseconds kMaxBatchTime{4};

// The clock is read after every this many callbacks (a read costs about as much as a
// no-op callback), so a batch may overrun kMaxBatchTime by at most this many callbacks.
inline constexpr std::size_t kClockCheckInterval = 4;

}  // namespace runloop::detail
