#pragma once

#include "runloop/detail/task_root.hpp"

namespace runloop::detail {

// The live tasks of one loop, in an intrusive list: O(1) to add and to remove, so spawning
// n tasks costs O(n) (the seed rescans its whole list on every spawn). Loop thread only.
class TaskRegistry {
 public:
  TaskRegistry() noexcept = default;
  TaskRegistry(const TaskRegistry&) = delete;
  TaskRegistry& operator=(const TaskRegistry&) = delete;

  void add(TaskRoot* root) noexcept;     // takes a reference
  void remove(TaskRoot* root) noexcept;  // drops it

  // Shutdown: aborts every task, including tasks spawned by destructors meanwhile.
  void abort_all() noexcept;

 private:
  TaskRoot* head_ = nullptr;
};

}  // namespace runloop::detail
