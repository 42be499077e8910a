#pragma once

// Host-driven mode (Linux and Android builds): for hosts that hand a plugin a file
// descriptor and a timer instead of iterating GLib for it (CLAP posix-fd-support and
// timer-support, VST3 Steinberg::Linux::IRunLoop, any poll/epoll loop).
//
//   RunLoop::init(runloop::host_driven);   // attached to no native loop: no GLib context
//   const auto loop = RunLoop::current();
//   host.watch(loop.poll_fd(), [loop] { loop.dispatch(); });   // readable: call dispatch()
//
// - poll_fd() is the read end of a pipe (never an eventfd, which some hosts reject). It is
//   readable whenever work is ready or a timer is due, until dispatch() has run it
//   (level-triggered), so a host that only watches the descriptor, with no timeout of its
//   own, still runs every timer on time: a helper thread of the loop makes the pipe readable
//   at the earliest deadline.
// - poll_timeout() tells a host that can wait with a timeout how long it may.
// - dispatch() runs one bounded batch and returns; it never blocks and is cheap when nothing
//   is ready, since hosts call their fd handlers spuriously.
// - run(), block_on() and nested runs work in this mode too: they wait on the descriptor.
// - The surface works in init()'s native mode as well: the same descriptor then becomes
//   readable alongside the native loop's own wake-up, and whichever dispatches first runs
//   the work. A plugin can so offer the descriptor to a host that asks for one without
//   giving up the native loop (see <runloop/vst3.hpp>).
//
// Ready-made adapters: <runloop/clap.hpp>, <runloop/vst3.hpp>. When nothing drives the loop
// for 2 s while work waits, the diagnostic handler says so (<runloop/diagnostics.hpp>).
#include "runloop/diagnostics.hpp"  // IWYU pragma: export
#include "runloop/run_loop.hpp"     // IWYU pragma: export

#if !defined(RUNLOOP_HAS_HOST_DRIVEN)
#error "runloop: host-driven mode exists on Linux and Android only"
#endif
