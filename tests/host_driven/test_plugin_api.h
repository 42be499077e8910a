// What the host-driven test plugins export besides their real entry points (clap_entry;
// ModuleEntry/ModuleExit), so that the test hosts can see what happened inside them. The
// hosts never link runloop: they know the modules only through these C functions and the
// plugin APIs.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Of one plugin instance (CLAP) or controller (VST3).
typedef struct TestProgress {
  uint64_t one_shots;     // one-shot timers that fired
  uint64_t ticks;         // ticks of a repeating Timer
  uint64_t sends_run;     // worker-thread sends that ran
  uint64_t task_steps;    // steps of a coroutine task looping on delay()
  uint64_t queued_run;    // work queued by *_queue_work() that ran
  uint64_t early;         // timers that ran before their deadline: must stay 0
  uint64_t wrong_thread;  // callbacks off the loop thread: must stay 0
} TestProgress;

// Of one module.
typedef struct TestModuleProgress {
  uint64_t pending_ran;        // work left pending at the last deinit() that ran: must stay 0
  uint64_t pending_destroyed;  // ... destroyed unrun, as it must be
  uint64_t diagnoses;          // undriven diagnoses reported: 0 when the host drives
  int32_t loop_alive;          // the module's loop exists on the calling thread
} TestModuleProgress;

#ifdef __cplusplus
}
#endif
