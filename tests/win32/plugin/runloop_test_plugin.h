// The C ABI of the test plugin DLLs (what a plugin format's entry points would be): no C++
// type and no exception crosses the DLL boundary.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

#if defined(RUNLOOP_TEST_PLUGIN_BUILDING)
#define RUNLOOP_TEST_PLUGIN_API __declspec(dllexport)
#else
#define RUNLOOP_TEST_PLUGIN_API
#endif

struct RunloopTestPluginProgress {
  int timer_fired;        // the one-shot schedule() ran
  int ticks;              // repeating Timer ticks
  int remote;             // callbacks sent from the plugin's background thread that ran
  int remote_expected;    // how many it sent
  int pending_destroyed;  // left-behind work destroyed (unrun) by deinit
  int pending_ran;        // left-behind work that ran (must stay 0)
};

// RunLoop::init() on the calling thread, then a one-shot timer, a repeating Timer and a
// background thread that sends `sends` callbacks. Returns 0, or the runloop::Error value.
typedef int (*RunloopTestPluginStart)(int sends);
// Sends `sends` more callbacks from a new background thread (joined before returning).
typedef void (*RunloopTestPluginSendMore)(int sends);
typedef void (*RunloopTestPluginProgressFn)(struct RunloopTestPluginProgress* out);
// Leaves work behind: a callback sent from another thread (its wake-up message is posted but
// not yet pumped) and a timer due in an hour.
typedef void (*RunloopTestPluginLeavePendingWork)(void);
// Joins the background thread and calls RunLoop::deinit(). The progress stays readable.
typedef void (*RunloopTestPluginStop)(void);

RUNLOOP_TEST_PLUGIN_API int runloop_test_plugin_start(int sends);
RUNLOOP_TEST_PLUGIN_API void runloop_test_plugin_send_more(int sends);
RUNLOOP_TEST_PLUGIN_API void runloop_test_plugin_progress(struct RunloopTestPluginProgress* out);
RUNLOOP_TEST_PLUGIN_API void runloop_test_plugin_leave_pending_work(void);
RUNLOOP_TEST_PLUGIN_API void runloop_test_plugin_stop(void);

#ifdef __cplusplus
}
#endif
