#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>

#include "backends/backend.hpp"
#include "backends/fd/alarm.hpp"

namespace runloop::detail {

// Host-driven mode's backend, and the driving surface (poll_fd / poll_timeout / dispatch) in
// either mode. See the primer atop fd_backend.cpp.
//
// In host-driven mode it is the whole backend: no native loop, run() waits on the pipe. In
// native mode it sits between the core and the native backend and forwards everything; the
// pipe and the alarm are created on the first poll_fd(), and from then on every wake-up and
// deadline also reaches the pipe, and every batch (whoever runs it) clears it.
class FdBackend final : public Backend, public BackendDelegate {
 public:
  explicit FdBackend(BackendDelegate& delegate) noexcept : delegate_(delegate) {}
  ~FdBackend() override { detach(); }
  FdBackend(const FdBackend&) = delete;
  FdBackend& operator=(const FdBackend&) = delete;

  // Native mode: the native backend under us (its delegate must be this object).
  void set_inner(std::unique_ptr<Backend> inner) noexcept { inner_ = std::move(inner); }
  // Creates the pipe and the alarm and starts signalling through them (host-driven mode: at
  // creation; native mode: on the first poll_fd(), `in_step` then makes the pipe reflect
  // what is already pending). Loop thread. False, after reporting why, when the system
  // refuses.
  bool open(bool in_step);

  // The driving surface, loop thread only. poll_fd() opens the pipe; -1 if that failed.
  int poll_fd();
  std::optional<std::chrono::milliseconds> poll_timeout() const;
  void dispatch();

  // Backend
  bool wake() noexcept override;
  void wake_from_loop_thread() noexcept override;
  void arm_deadline(std::optional<Clock::time_point> deadline) noexcept override;
  void poll_once(bool may_block) override;
  bool run_app() override { return inner_ != nullptr && inner_->run_app(); }
  bool stop_app() noexcept override { return inner_ != nullptr && inner_->stop_app(); }
  void detach() noexcept override;
  bool attached() const noexcept override { return attached_; }

  // BackendDelegate: the native backend's batches come through here.
  WorkReport do_work() override;
  NextWork next_work() const override { return delegate_.next_work(); }
  void native_timer_fired() noexcept override { delegate_.native_timer_fired(); }
  bool quit_requested() noexcept override { return delegate_.quit_requested(); }
  void retain() noexcept override { delegate_.retain(); }
  void release() noexcept override { delegate_.release(); }

 private:
  static void fire(void* self) noexcept;
  bool active() const noexcept;
  bool raise() noexcept;
  void clear() noexcept;
  void signal_deadline(std::optional<Clock::time_point> deadline) noexcept;

  BackendDelegate& delegate_;
  std::unique_ptr<Backend> inner_;  // native mode only
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::atomic<int> active_{0};                  // 1: the pipe exists and is kept in step
  std::atomic<bool> raised_{false};             // a byte was written since the last clear()
  std::atomic<bool> alarm_fired_{false};        // set by the alarm thread, taken by the next batch
  std::optional<Clock::time_point> announced_;  // the core's last arm_deadline()
  Alarm alarm_;
  bool attached_ = true;
};

}  // namespace runloop::detail
