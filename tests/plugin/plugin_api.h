// The C API of the test plugin modules (plugin_a.so, plugin_b.so), shared by the modules and
// the host that dlopens them. Like a CLAP or VST3 entry point, it is the only thing a module
// exports: everything of runloop inside it stays private to that module.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PluginProgress {
  uint64_t one_shot_fired;     // one-shot timers that fired
  uint64_t timer_ticks;        // ticks of the repeating Timer
  uint64_t sends_run;          // worker-thread sends that ran on the loop thread
  uint64_t waits_answered;     // worker-thread send_and_wait() calls answered on the loop thread
  uint64_t wrong_thread;       // callbacks that ran off the loop thread: must stay 0
  uint64_t pending_ran;        // work left pending at deinit that ran anyway: must stay 0
  uint64_t pending_destroyed;  // work left pending at deinit, destroyed unrun
  uint64_t sends_refused;      // worker sends refused once the loop was gone
  uint64_t task_steps;         // steps of a coroutine task looping on delay()
} PluginProgress;

// The module's name ("a" or "b").
typedef const char* (*PluginNameFn)(void);
// RunLoop::init() on the calling thread: 0, or the runloop::Error value.
typedef int (*PluginInitFn)(void);
// 1 when this module's loop exists and the calling thread is its loop thread.
typedef int (*PluginIsInitializedFn)(void);
// Schedules a one-shot timer; starts the repeating Timer, a looping coroutine task and the
// sending worker thread unless already running. 0, or -1 when the loop is not initialised.
typedef int (*PluginStartWorkFn)(void);
typedef void (*PluginProgressFn)(PluginProgress* out);
// Queues one send from the loop thread itself (the loop is then ready at once). 0, or -1.
typedef int (*PluginPostFromLoopThreadFn)(void);
// Schedules a far timer, spawns a task suspended on a far delay, queues `burst` sends from
// another thread and `burst` from the loop thread, then deinit()s (the last reference) and joins
// the worker. Returns how many tracked callbacks were left pending, or -1 when the loop was not
// initialised.
typedef int (*PluginLeavePendingWorkAndDeinitFn)(unsigned burst);

#ifdef __cplusplus
}
#endif
