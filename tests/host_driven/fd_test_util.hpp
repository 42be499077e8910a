#pragma once

// Small POSIX helpers shared by the host-driven tests.
#include <dirent.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <thread>

namespace runloop::test {

// Whether `fd` is readable within `timeout` (0: right now).
inline bool readable(int fd, std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0 && (p.revents & POLLIN) != 0;
}

// Whether `fd` is an eventfd: the kernel names it "anon_inode:[eventfd]" in /proc/self/fd.
inline bool is_eventfd(int fd) {
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  char target[64] = {};
  const ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
  return n > 0 && std::string(target, static_cast<std::size_t>(n)) == "anon_inode:[eventfd]";
}

// Entries of a /proc/self directory: open descriptors ("fd") or threads ("task").
inline std::size_t count_entries(const char* directory) {
  DIR* dir = opendir(directory);
  if (dir == nullptr) return 0;
  std::size_t n = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;  // includes the descriptor opendir() holds, in the "fd" case: compare counts
}
inline std::size_t open_fds() {
  return count_entries("/proc/self/fd");
}
inline std::size_t threads() {
  return count_entries("/proc/self/task");
}

// The thread count to compare with later. A sanitizer runtime starts a helper thread of its
// own with the process's first thread: one thread started and joined first keeps that out
// of the comparison.
inline std::size_t thread_baseline() {
  std::thread([] {}).join();
  return threads();
}

}  // namespace runloop::test
