#pragma once

// CLAP adapter (Linux and Android builds), header-only. It includes <clap/clap.h>, which
// the plugin's include path already provides. It lets the host drive this module's run loop the way
// CLAP hosts that do not iterate GLib offer: clap.posix-fd-support (the host watches a descriptor),
// else clap.timer-support (the host calls back periodically), else the native loop.
//
//   struct MyPlugin { clap_plugin_t plugin; const clap_host_t* host;
//                     runloop::clap::Attachment loop; ... };
//   bool init(const clap_plugin_t* p) {          // main thread
//     return self(p)->loop.attach(self(p)->host).has_value();
//   }
//   void destroy(const clap_plugin_t* p) {       // main thread
//     self(p)->loop.detach();                    // unregisters, then releases the loop
//     delete self(p);
//   }
//   const void* get_extension(const clap_plugin_t*, const char* id) {
//     if (const void* ext = runloop::clap::extension(id)) return ext;
//     ...
//   }
//
// attach() takes one reference on the module's loop (RunLoop::init(runloop::host_driven) when
// the host offers a descriptor or a timer, RunLoop::init() otherwise) and registers with this
// instance's host; detach() undoes both. Each instance registers a descriptor of its own (a
// duplicate of poll_fd()), since hosts may key registrations by descriptor: several
// instances, and several plugins, share nothing. A plugin that registers descriptors or
// timers of its own forwards its on_fd()/on_timer() to Attachment::on_fd()/on_timer()
// instead of returning the ready-made extensions.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#if !__has_include(<clap/clap.h>)
#error "runloop/clap.hpp needs the CLAP headers (<clap/clap.h>) on the include path"
#endif
#include <clap/clap.h>

#include "runloop/host_driven.hpp"

namespace runloop::clap {

// The period asked of a host that offers timers only. The host may round it up (CLAP: "30
// Hz should be allowed"); timers then run up to one period late, never early.
inline constexpr std::uint32_t kTimerPeriodMs = 10;

// What drives the module's loop for one instance.
enum class Driver {
  detached,  // attach() not called, or detach()ed
  posix_fd,  // the host watches our descriptor
  timer,     // the host calls on_timer() periodically
  native,    // the host offers neither: the native loop (GLib) drives it
};

namespace detail {

// Runs one batch of this module's loop, if it lives on the calling thread.
inline void dispatch_module_loop() noexcept {
  try {
    if (auto loop = RunLoop::try_current()) loop->dispatch();
  } catch (...) {
    // Nothing may unwind into the host (callbacks' own exceptions never get here).
  }
}

inline void CLAP_ABI on_fd(const clap_plugin_t*, int, clap_posix_fd_flags_t) {
  dispatch_module_loop();
}

inline void CLAP_ABI on_timer(const clap_plugin_t*, clap_id) {
  dispatch_module_loop();
}

}  // namespace detail

// Ready-made extensions for a plugin that registers no descriptor or timer of its own: any
// call dispatches the module's loop (a spurious one is harmless).
inline constexpr clap_plugin_posix_fd_support_t posix_fd_support{&detail::on_fd};
inline constexpr clap_plugin_timer_support_t timer_support{&detail::on_timer};

// For the plugin's get_extension(): the ready-made extension named `id`, or nullptr.
inline const void* extension(const char* id) noexcept {
  if (id == nullptr) return nullptr;
  if (std::strcmp(id, CLAP_EXT_POSIX_FD_SUPPORT) == 0) return &posix_fd_support;
  if (std::strcmp(id, CLAP_EXT_TIMER_SUPPORT) == 0) return &timer_support;
  return nullptr;
}

// One per plugin instance: its reference on the module's loop and its registration with
// its host. Main thread only.
class Attachment {
 public:
  Attachment() = default;
  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;
  ~Attachment() { detach(); }

  // From the plugin's init(). On error nothing is held and nothing registered.
  Result<void, Error> attach(const clap_host_t* host,
                             std::uint32_t timer_period_ms = kTimerPeriodMs) noexcept;
  // Unregisters from the host, then releases the loop reference (the last one shuts the loop
  // down). Idempotent.
  void detach() noexcept;

  Driver driver() const noexcept { return driver_; }
  // The descriptor registered with the host (posix_fd), else -1.
  int fd() const noexcept { return fd_; }
  // The timer registered with the host (timer), else CLAP_INVALID_ID.
  clap_id timer_id() const noexcept { return timer_; }

  // For a plugin with descriptors or timers of its own: true (after dispatching) when `fd`
  // or `timer_id` is this attachment's.
  bool on_fd(int fd, clap_posix_fd_flags_t) noexcept {
    if (driver_ != Driver::posix_fd || fd != fd_) return false;
    detail::dispatch_module_loop();
    return true;
  }
  bool on_timer(clap_id timer_id) noexcept {
    if (driver_ != Driver::timer || timer_id != timer_) return false;
    detail::dispatch_module_loop();
    return true;
  }

 private:
  // One reference on the module's loop, in the wanted mode if it is free to choose; else in
  // the mode the loop already has (the surface works in both).
  static Result<void, Error> take_loop(bool host_driven) noexcept {
    auto taken = host_driven ? RunLoop::init(runloop::host_driven) : RunLoop::init();
    if (!taken && taken.error() == Error::AlreadyInitialized) {
      taken = host_driven ? RunLoop::init() : RunLoop::init(runloop::host_driven);
    }
    return taken;
  }
  bool register_fd(const clap_host_posix_fd_support_t* fds) noexcept;
  bool register_timer(const clap_host_timer_support_t* timers, std::uint32_t period) noexcept;

  const clap_host_t* host_ = nullptr;
  const clap_host_posix_fd_support_t* fd_support_ = nullptr;
  const clap_host_timer_support_t* timer_support_ = nullptr;
  int fd_ = -1;
  clap_id timer_ = CLAP_INVALID_ID;
  Driver driver_ = Driver::detached;
};

inline Result<void, Error> Attachment::attach(const clap_host_t* host,
                                              std::uint32_t timer_period_ms) noexcept {
  if (driver_ != Driver::detached) return {};
  const auto extension_of = [host](const char* id) -> const void* {
    return host != nullptr && host->get_extension != nullptr ? host->get_extension(host, id)
                                                             : nullptr;
  };
  const auto* fds =
      static_cast<const clap_host_posix_fd_support_t*>(extension_of(CLAP_EXT_POSIX_FD_SUPPORT));
  const auto* timers =
      static_cast<const clap_host_timer_support_t*>(extension_of(CLAP_EXT_TIMER_SUPPORT));
  if (fds != nullptr && (fds->register_fd == nullptr || fds->unregister_fd == nullptr)) {
    fds = nullptr;
  }
  if (timers != nullptr &&
      (timers->register_timer == nullptr || timers->unregister_timer == nullptr)) {
    timers = nullptr;
  }
  const bool host_drives = fds != nullptr || timers != nullptr;
  if (auto taken = take_loop(host_drives); !taken) return taken;
  host_ = host;
  if (host_drives) {
    if (fds != nullptr && register_fd(fds)) return {};
    if (timers != nullptr && register_timer(timers, timer_period_ms)) return {};
    // The host refused both: back to the native loop.
    RunLoop::deinit();
    if (auto taken = take_loop(false); !taken) {
      host_ = nullptr;
      return taken;
    }
  }
  driver_ = Driver::native;
  return {};
}

inline bool Attachment::register_fd(const clap_host_posix_fd_support_t* fds) noexcept {
  int fd = -1;
  try {
    fd = fcntl(RunLoop::current().poll_fd(), F_DUPFD_CLOEXEC, 0);
  } catch (...) {
    return false;  // no descriptor to be had (RunLoopError(PlatformFailure))
  }
  if (fd < 0) return false;
  if (!fds->register_fd(host_, fd, CLAP_POSIX_FD_READ)) {
    close(fd);
    return false;
  }
  fd_support_ = fds;
  fd_ = fd;
  driver_ = Driver::posix_fd;
  return true;
}

inline bool Attachment::register_timer(const clap_host_timer_support_t* timers,
                                       std::uint32_t period) noexcept {
  clap_id id = CLAP_INVALID_ID;
  if (!timers->register_timer(host_, period, &id) || id == CLAP_INVALID_ID) return false;
  timer_support_ = timers;
  timer_ = id;
  driver_ = Driver::timer;
  return true;
}

inline void Attachment::detach() noexcept {
  if (driver_ == Driver::detached) return;
  if (driver_ == Driver::posix_fd) {
    fd_support_->unregister_fd(host_, fd_);
    close(fd_);  // after the host let go of it: the number may be reused at once
  } else if (driver_ == Driver::timer) {
    timer_support_->unregister_timer(host_, timer_);
  }
  host_ = nullptr;
  fd_support_ = nullptr;
  timer_support_ = nullptr;
  fd_ = -1;
  timer_ = CLAP_INVALID_ID;
  driver_ = Driver::detached;
  RunLoop::deinit();
}

}  // namespace runloop::clap
