#pragma once

namespace bench {

// Loop-thread CPU time per task: spawn `count` tasks that finish at once, run until done.
double task_spawn_complete_ns(int count);
// The same for tasks that each await delay(0) once.
double task_delay_zero_ns(int count);
// Heap bytes per suspended task (on a pending delay): its coroutine frame, and what the
// task costs beyond it (its record, its delay's timer, its JoinHandle).
struct TaskBytes {
  double frame = 0;
  double beyond_frame = 0;
};
TaskBytes task_suspended_bytes(int count);

}  // namespace bench
