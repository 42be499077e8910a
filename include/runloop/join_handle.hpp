#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "runloop/detail/task_root.hpp"
#include "runloop/error.hpp"
#include "runloop/result.hpp"
#include "runloop/task.hpp"

namespace runloop {

// Why a task produced no value: it was aborted, or an exception escaped it (the seed's
// "panic").
class JoinError {
 public:
  static JoinError aborted() noexcept { return JoinError(nullptr); }
  static JoinError panic(std::exception_ptr exception) noexcept {
    return JoinError(std::move(exception));
  }

  bool is_aborted() const noexcept { return exception_ == nullptr; }
  bool is_panic() const noexcept { return exception_ != nullptr; }
  // The exception that escaped the task; null when aborted.
  const std::exception_ptr& exception() const noexcept { return exception_; }

 private:
  explicit JoinError(std::exception_ptr exception) noexcept : exception_(std::move(exception)) {}
  std::exception_ptr exception_;
};

namespace detail {

template <class T>
class JoinAwaiter;

// Loop thread of `epoch`: why a coroutine that is not a runloop::Task cannot wait here
// (NotRunLoopThread, NotInitialized), or nothing.
RUNLOOP_API std::optional<Error> loop_thread_error(std::uint64_t epoch) noexcept;

// The record of one spawned task. Its result is a tagged union (the tag in TaskRoot's spare
// byte) rather than a std::optional<Result<T, JoinError>>: for void that is one
// std::exception_ptr (8 bytes, not 24), which with the tag sharing TaskRoot's word keeps
// the record of a void or small result within 72 bytes (see the static_assert below).
template <class T>
class TaskState final : public TaskRoot {
 public:
  using Stored = Result<T, JoinError>;
  // Several awaiters can share one result only if it can be copied.
  static constexpr bool kShareable = std::is_copy_constructible_v<Stored>;

  TaskState() noexcept = default;
  ~TaskState() override { clear(); }

  // Once finished: moves the result out; empty before, and after it was taken.
  std::optional<Stored> take() noexcept {
    if (!is_finished()) return {};
    return take_held();
  }

 protected:
  void store_result(std::coroutine_handle<> frame) noexcept override {
    auto& promise = std::coroutine_handle<TaskPromise<T>>::from_address(frame.address()).promise();
    clear();
    if (promise.failed()) {
      std::construct_at(std::addressof(slot_.panic), promise.exception());
      set_held(Held::Panic);
      return;
    }
    if constexpr (!std::is_void_v<T>) {
      std::construct_at(std::addressof(slot_.value), promise.take_result());
    }
    set_held(Held::Value);
  }
  void store_aborted() noexcept override {
    clear();
    set_held(Held::Aborted);
  }
  std::exception_ptr frame_exception(std::coroutine_handle<> frame) const noexcept override {
    auto& promise = std::coroutine_handle<TaskPromise<T>>::from_address(frame.address()).promise();
    return promise.failed() ? promise.exception() : nullptr;
  }
  void deliver(JoinWaiter* first) noexcept override {
    for (JoinWaiter* waiter = first; waiter != nullptr && held() != Held::Nothing;
         waiter = waiter->next) {
      auto& slot = static_cast<JoinAwaiter<T>*>(waiter)->delivered_;
      if constexpr (kShareable) {
        if (waiter->next != nullptr) {
          try {
            copy_held_into(slot);
          } catch (...) {
            // Out of memory copying it: this awaiter gets Aborted rather than nothing.
          }
          continue;
        }
      }
      move_held_into(slot);  // the last (or only) one takes it
    }
  }
  std::exception_ptr take_unclaimed_panic() noexcept override {
    if (held() != Held::Panic) return nullptr;
    std::exception_ptr panic = std::move(slot_.panic);
    clear();
    return panic;
  }

 private:
  enum class Held : std::uint8_t { Nothing, Value, Aborted, Panic };
  struct NoValue {};
  using Value = std::conditional_t<std::is_void_v<T>, NoValue, T>;
  // Which member is alive is result_tag(): `value` for Held::Value (never for void),
  // `panic` for Held::Panic, neither otherwise.
  union Slot {
    // Not "= default": with a non-trivial member (exception_ptr) that would be deleted.
    Slot() noexcept {}  // NOLINT(modernize-use-equals-default)
    ~Slot() {}          // NOLINT(modernize-use-equals-default)
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Value value;
    std::exception_ptr panic;
  };

  Held held() const noexcept { return static_cast<Held>(result_tag()); }
  void set_held(Held held) noexcept { set_result_tag(static_cast<std::uint8_t>(held)); }

  void clear() noexcept {
    if (held() == Held::Value) {
      if constexpr (!std::is_void_v<T>) std::destroy_at(std::addressof(slot_.value));
    } else if (held() == Held::Panic) {
      std::destroy_at(std::addressof(slot_.panic));
    }
    set_held(Held::Nothing);
  }

  // Moves the result out, leaving nothing.
  std::optional<Stored> take_held() noexcept {
    std::optional<Stored> out;
    move_held_into(out);
    return out;
  }
  // Moves (a take: leaves nothing) or copies (throws what copying T throws) the result into
  // `out`. Emplaces rather than assigns: T need not be assignable.
  template <bool kMove>
  void put_held_into(std::optional<Stored>& out) noexcept(kMove) {
    const auto pass = [](auto& held) -> decltype(auto) {
      if constexpr (kMove) {
        return std::move(held);
      } else {
        return std::as_const(held);
      }
    };
    switch (held()) {
      case Held::Nothing:
        return;
      case Held::Value:
        if constexpr (std::is_void_v<T>) {
          out.emplace();
        } else {
          out.emplace(pass(slot_.value));
        }
        break;
      case Held::Aborted:
        out.emplace(Unexpected(JoinError::aborted()));
        break;
      case Held::Panic:
        out.emplace(Unexpected(JoinError::panic(pass(slot_.panic))));
        break;
    }
    if constexpr (kMove) clear();
  }
  void move_held_into(std::optional<Stored>& out) noexcept { put_held_into<true>(out); }
  void copy_held_into(std::optional<Stored>& out) { put_held_into<false>(out); }

  Slot slot_;
};

// Each task costs one of these on the heap for as long as it lives (issue 15: bytes per
// suspended task). glibc's malloc serves a request of n bytes from a chunk of n + 8 rounded
// up to 16: 72 bytes take an 80-byte chunk, 73 to 88 bytes a 96-byte one. So the record of
// a void or small result must stay within 72 bytes (on 64-bit ABIs whose exception_ptr is
// one pointer: MSVC's is two).
static_assert(sizeof(void*) != 8 || sizeof(std::exception_ptr) != 8 ||
                  (sizeof(TaskState<void>) <= 72 && sizeof(TaskState<int>) <= 72),
              "a task's record grew out of glibc's 80-byte malloc chunk");

// co_await join_handle, from a runloop::Task or from any other coroutine type on the loop
// thread. Each awaiter registers itself (it is a JoinWaiter), so several can wait at once.
template <class T>
class JoinAwaiter : public LoopAwaitable, public JoinWaiter {
 public:
  explicit JoinAwaiter(TaskState<T>* state) noexcept : state_(state) {
    if (state_ != nullptr) state_->add_ref();
  }
  JoinAwaiter(const JoinAwaiter&) = delete;
  JoinAwaiter& operator=(const JoinAwaiter&) = delete;
  ~JoinAwaiter() {
    if (state_ == nullptr) return;
    // Our coroutine is destroyed while waiting (an abort): withdraw exactly our own
    // registration, and a resumption that was already queued.
    dropped = true;
    wake_up.cancel();
    state_->remove_waiter(*this);
    state_->release();
  }

  bool await_ready() const noexcept { return state_ == nullptr || state_->is_finished(); }

  template <class P>
  bool await_suspend(std::coroutine_handle<P> awaiting) noexcept {
    if constexpr (kIsTaskPromise<P>) {
      task = awaiting.promise().root;
    } else {
      error_ = loop_thread_error(state_->epoch());
      if (error_) return false;  // await_resume throws it
    }
    if constexpr (!TaskState<T>::kShareable) {
      if (state_->has_waiters()) {
        refused_ = true;  // a move-only result cannot go to two awaiters
        return false;
      }
    }
    frame = awaiting;
    return state_->add_waiter(*this);
  }

  Result<T, JoinError> await_resume() {
    if (refused_) {
      throw std::logic_error(
          "runloop: this JoinHandle is already awaited elsewhere, and its result type cannot "
          "be copied to a second awaiter");
    }
    if (error_) throw RunLoopError(*error_);
    if (delivered_) return std::move(*delivered_);
    if (state_ != nullptr) {
      if (auto result = state_->take()) return std::move(*result);
    }
    return Unexpected(JoinError::aborted());  // no task, or its result was taken already
  }

 private:
  friend class TaskState<T>;
  TaskState<T>* state_;
  std::optional<Result<T, JoinError>> delivered_;
  std::optional<Error> error_;
  bool refused_ = false;
};

}  // namespace detail

// The handle of a spawned task. Dropping it detaches the task (it keeps running).
//
// Awaiting: `co_await handle` gives the task's Result<T, JoinError>, moving it out. It can
// be awaited from a runloop::Task, or on the loop thread from any other coroutine type
// (elsewhere await_resume throws RunLoopError(NotRunLoopThread): co_await
// runloop::resume_on(loop) first). Several coroutines may await one handle at once: when
// the result can be copied each of them gets it (copies; the last one woken takes the
// original); when it cannot (a move-only T), a second concurrent awaiter fails at once,
// its await_resume throwing std::logic_error, and the first one is unaffected. An awaiter
// that is destroyed while waiting (its task aborted) withdraws only its own registration.
// Awaiting after the result was taken gives Aborted.
//
// Exceptions: an exception that escaped the task and that nobody took (no try_take(), no
// co_await) is handed to the exception handler (set_exception_handler) once, when both the
// task has finished and the handle is gone: so a detached task's exception is never lost
// silently, and an awaited or taken one is never reported.
template <class T>
class JoinHandle {
 public:
  JoinHandle() noexcept = default;
  explicit JoinHandle(detail::TaskState<T>* state) noexcept : state_(state) {}  // adopts
  JoinHandle(JoinHandle&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  JoinHandle(const JoinHandle&) = delete;
  JoinHandle& operator=(const JoinHandle&) = delete;
  ~JoinHandle() {
    if (state_) state_->drop_handle();
  }

  // Hard cancel. Any thread; idempotent; a no-op once finished. It first requests stop
  // (stop callbacks run on the calling thread), then destroys the task's frame at its
  // suspension point on the loop thread: on the loop thread a suspended task is finished on
  // return; a running one at its next co_await; from another thread, on the loop thread's
  // next pass.
  void abort() noexcept {
    if (state_) state_->abort();
  }
  // Cooperative cancel. Any thread: sets the stop token that the task reads with
  // `co_await runloop::this_task::stop_token()`. The task decides when to stop.
  void request_stop() noexcept {
    if (state_) state_->request_stop();
  }
  bool is_finished() const noexcept { return state_ == nullptr || state_->is_finished(); }
  // The result once finished; empty before, and after it was taken.
  std::optional<Result<T, JoinError>> try_take() noexcept {
    if (!state_) return {};
    return state_->take();
  }

  // co_await handle -> Result<T, JoinError>, moving the result out.
  detail::JoinAwaiter<T> operator co_await() const noexcept {
    return detail::JoinAwaiter<T>(state_);
  }

 private:
  detail::TaskState<T>* state_ = nullptr;
};

}  // namespace runloop
