#include "core/task_registry.hpp"

namespace runloop::detail {

void TaskRegistry::add(TaskRoot* root) noexcept {
  root->add_ref();
  root->registry_ = this;
  root->prev_ = nullptr;
  root->next_ = head_;
  if (head_ != nullptr) head_->prev_ = root;
  head_ = root;
}

void TaskRegistry::remove(TaskRoot* root) noexcept {
  if (root->registry_ != this) return;
  if (root->prev_ != nullptr) root->prev_->next_ = root->next_;
  if (root->next_ != nullptr) root->next_->prev_ = root->prev_;
  if (head_ == root) head_ = root->next_;
  root->prev_ = root->next_ = nullptr;
  root->registry_ = nullptr;
  root->release();
}

void TaskRegistry::abort_all() noexcept {
  // abort() unregisters the task; a destructor in its frame may spawn or abort others,
  // so always restart from the head.
  while (head_ != nullptr) {
    TaskRoot* root = head_;
    RootRef keep(root);
    root->abort();
    if (head_ == root) remove(root);  // still running (on the stack): finishes later
  }
}

}  // namespace runloop::detail
