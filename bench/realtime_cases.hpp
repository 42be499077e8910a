#pragma once

namespace bench {

// Case 7: RealtimeSender (issue 12).
// Producer-thread CPU time per try_send, in bursts of `burst` values into a ring with room
// for them; the loop thread drains between bursts (1 ms polls).
double realtime_try_send_ns(int values, int burst);
// The floor: the same bursts into a plain std::atomic SPSC ring, drained by a thread that
// looks every 1 ms.
double floor_spsc_push_ns(int values, int burst);
// Producer-thread CPU time per try_send into a full ring (every value dropped).
double realtime_try_send_full_ns(int values);
// Loop-thread CPU time, in ms per second, of `senders` idle RealtimeSenders polling every
// 10 ms, while the loop runs for `seconds`. With 0 senders: the idle loop's own cost.
double realtime_idle_cpu_ms_per_s(int senders, double seconds);
// The floor of the idle rows: a thread that only sleeps in poll() until the next 10 ms
// deadline (whole-ms timeouts, as GLib's), i.e. what 100 wake-ups per second cost here.
double floor_sleep_cpu_ms_per_s(double seconds);

}  // namespace bench
