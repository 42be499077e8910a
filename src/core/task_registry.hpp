#pragma once

#include "runloop/detail/task_root.hpp"

namespace runloop::detail {

// The live tasks of one loop, in an intrusive list: O(1) to add and to remove, so spawning
// n tasks costs O(n) (the seed rescans its whole list on every spawn). Loop thread only.
class TaskRegistry {
 public:
  TaskRegistry() noexcept { list_.link_prev = list_.link_next = &list_; }
  TaskRegistry(const TaskRegistry&) = delete;
  TaskRegistry& operator=(const TaskRegistry&) = delete;

  void add(TaskRoot* root) noexcept;  // takes a reference
  // Unlinks `root` from whichever registry holds it, dropping that reference; a no-op for
  // a task that is not registered.
  static void remove(TaskRoot* root) noexcept;

  // Shutdown: aborts every task, including tasks spawned by destructors meanwhile.
  void abort_all() noexcept;

 private:
  TaskLinks list_;  // newest task first
};

}  // namespace runloop::detail
