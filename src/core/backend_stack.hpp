#pragma once

#include <memory>

#include "backends/backend.hpp"

namespace runloop::detail {

class FdBackend;
class Mailbox;
class Watchdog;

// Which init() made the loop.
enum class LoopMode { native, host_driven };

// The backends of one loop, top (what the core talks to) to bottom:
//   Watchdog -> [FdBackend] -> native backend        init()
//   Watchdog -> FdBackend                            init(host_driven)
// FdBackend exists in Linux and Android builds only; the watchdog everywhere.
class BackendStack {
 public:
  static Result<BackendStack, Error> create(BackendDelegate& core, LoopMode mode);

  // Once the core's mailbox exists: starts the watchdog's thread.
  void start(const Mailbox& mailbox);

  std::unique_ptr<Backend> take_top() noexcept;
  // The driving surface (poll_fd, dispatch); null where host-driven mode does not exist.
  FdBackend* surface() const noexcept { return surface_; }

 private:
  std::unique_ptr<Backend> top_;  // the watchdog
  Watchdog* watchdog_ = nullptr;
  FdBackend* surface_ = nullptr;
};

}  // namespace runloop::detail
