#include "core/task_registry.hpp"

namespace runloop::detail {

void TaskRegistry::add(TaskRoot* root) noexcept {
  root->add_ref();
  TaskLinks* const links = root;
  links->link_prev = &list_;
  links->link_next = list_.link_next;
  list_.link_next->link_prev = links;
  list_.link_next = links;
}

void TaskRegistry::remove(TaskRoot* root) noexcept {
  TaskLinks* const links = root;
  if (links->link_next == nullptr) return;
  links->link_prev->link_next = links->link_next;
  links->link_next->link_prev = links->link_prev;
  links->link_prev = links->link_next = nullptr;
  root->release();
}

void TaskRegistry::abort_all() noexcept {
  // abort() unregisters the task; a destructor in its frame may spawn or abort others,
  // so always restart from the newest.
  while (list_.link_next != &list_) {
    auto* root = static_cast<TaskRoot*>(list_.link_next);
    RootRef keep(root);
    root->abort();
    if (list_.link_next == root) remove(root);  // still running (on the stack): finishes later
  }
}

}  // namespace runloop::detail
