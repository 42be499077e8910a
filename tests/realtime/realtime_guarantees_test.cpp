// Proof of RealtimeSender's real-time guarantees on the producer thread (Linux):
// - no heap allocation and no mutex: this binary interposes malloc & co., the replaceable
//   operator new and pthread_mutex_lock/trylock, and counts the calls made by one watched
//   thread (identified by a global atomic pthread_t: thread-local storage is banned here);
// - no system call: in a forked child, the producer thread runs under a seccomp filter that
//   allows nothing but exit(2) and kills the process on anything else.
// Each harness has a control test proving it catches what it looks for.
#include <dlfcn.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <thread>

#include "test_support.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RUNLOOP_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RUNLOOP_TEST_SANITIZED 1
#endif
#endif

namespace {

// --- Counting allocations and locks of one thread -----------------------------------------

std::atomic<bool> watching{false};
std::atomic<pthread_t> watched{};
std::atomic<int> allocations{0};
std::atomic<int> mutex_locks{0};

[[maybe_unused]] bool on_watched_thread() noexcept {
  return watching.load(std::memory_order_relaxed) &&
         pthread_equal(watched.load(std::memory_order_relaxed), pthread_self()) != 0;
}

[[maybe_unused]] void count_allocation() noexcept {
  if (on_watched_thread()) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    // To find who allocated: run with this set, under a debugger, and look at the stack.
    if (std::getenv("RUNLOOP_TEST_ABORT_ON_ALLOCATION") != nullptr) std::abort();
  }
}

// Counts what the calling thread allocates and locks while it lives.
class WatchThisThread {
 public:
  WatchThisThread() noexcept {
    allocations = 0;
    mutex_locks = 0;
    watched.store(pthread_self());
    watching.store(true);
  }
  WatchThisThread(const WatchThisThread&) = delete;
  WatchThisThread& operator=(const WatchThisThread&) = delete;
  ~WatchThisThread() { watching.store(false); }
};

}  // namespace

#if !defined(RUNLOOP_TEST_SANITIZED)
// The sanitizers interpose the allocator themselves; there these tests are skipped.
extern "C" {
void* __libc_malloc(std::size_t size) noexcept;
void* __libc_calloc(std::size_t count, std::size_t size) noexcept;
void* __libc_realloc(void* pointer, std::size_t size) noexcept;
void* __libc_memalign(std::size_t alignment, std::size_t size) noexcept;
void __libc_free(void* pointer) noexcept;

void* malloc(std::size_t size) noexcept {
  count_allocation();
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) noexcept {
  count_allocation();
  return __libc_calloc(count, size);
}
void* realloc(void* pointer, std::size_t size) noexcept {
  count_allocation();
  return __libc_realloc(pointer, size);
}
void* memalign(std::size_t alignment, std::size_t size) noexcept {
  count_allocation();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  count_allocation();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
  count_allocation();
  void* pointer = __libc_memalign(alignment, size);
  if (pointer == nullptr) return ENOMEM;
  *out = pointer;
  return 0;
}

// glibc's own, looked up on first use. Not a function-local static: its guard may lock a
// mutex, which would come back here.
using MutexFunction = int (*)(pthread_mutex_t*);
std::atomic<MutexFunction> next_lock{nullptr};
std::atomic<MutexFunction> next_trylock{nullptr};
MutexFunction next_mutex_function(std::atomic<MutexFunction>& cache, const char* name) noexcept {
  MutexFunction function = cache.load(std::memory_order_acquire);
  if (function == nullptr) {
    function = reinterpret_cast<MutexFunction>(dlsym(RTLD_NEXT, name));
    cache.store(function, std::memory_order_release);
  }
  return function;
}
int pthread_mutex_lock(pthread_mutex_t* mutex) noexcept {
  if (on_watched_thread()) mutex_locks.fetch_add(1, std::memory_order_relaxed);
  return next_mutex_function(next_lock, "pthread_mutex_lock")(mutex);
}
int pthread_mutex_trylock(pthread_mutex_t* mutex) noexcept {
  if (on_watched_thread()) mutex_locks.fetch_add(1, std::memory_order_relaxed);
  return next_mutex_function(next_trylock, "pthread_mutex_trylock")(mutex);
}
}  // extern "C"

// The replaceable allocation functions: counted even where operator new would not call
// malloc.
void* operator new(std::size_t size) {
  count_allocation();
  if (void* pointer = __libc_malloc(size == 0 ? 1 : size)) return pointer;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  return operator new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  count_allocation();
  return __libc_malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  count_allocation();
  if (void* pointer = __libc_memalign(static_cast<std::size_t>(alignment), size == 0 ? 1 : size)) {
    return pointer;
  }
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t alignment) {
  return operator new(size, alignment);
}
// __libc_free, not free: the pair of __libc_malloc, and GCC at -O3 sees through operator new and
// rejects a plain free() as a mismatched deallocation.
void operator delete(void* pointer) noexcept {
  __libc_free(pointer);
}
void operator delete[](void* pointer) noexcept {
  __libc_free(pointer);
}
void operator delete(void* pointer, std::size_t) noexcept {
  __libc_free(pointer);
}
void operator delete[](void* pointer, std::size_t) noexcept {
  __libc_free(pointer);
}
void operator delete(void* pointer, std::align_val_t) noexcept {
  __libc_free(pointer);
}
void operator delete[](void* pointer, std::align_val_t) noexcept {
  __libc_free(pointer);
}
void operator delete(void* pointer, std::size_t, std::align_val_t) noexcept {
  __libc_free(pointer);
}
void operator delete[](void* pointer, std::size_t, std::align_val_t) noexcept {
  __libc_free(pointer);
}
#endif

namespace runloop::test {
namespace {

#if defined(RUNLOOP_TEST_SANITIZED)
#define SKIP_UNDER_SANITIZERS()                                                            \
  GTEST_SKIP() << "the sanitizer runtime interposes malloc itself, so this binary cannot " \
                  "count allocations; the plain build runs this test"
#else
#define SKIP_UNDER_SANITIZERS() (void)0
#endif

// The sanitizer runtimes make system calls of their own inside instrumented code: UBSan's
// vptr check (in the asan preset) probes memory with pipe2() the first time it meets a
// polymorphic type, and TSan's runtime runs inside every atomic operation (its internal locks
// may call the kernel, and its pthread_join never returns for a thread that left through raw
// exit(2)). None of it is ours, and none of it is in a plain build, which runs these tests.
#if defined(RUNLOOP_TEST_SANITIZED)
#define SKIP_SECCOMP_UNDER_SANITIZERS()                                                         \
  GTEST_SKIP() << "the sanitizer runtime makes system calls inside instrumented code (UBSan's " \
                  "vptr check, TSan's atomics); the plain build runs this test, the "           \
                  "sanitizer builds run the conformance hammer test"
#else
#define SKIP_SECCOMP_UNDER_SANITIZERS() (void)0
#endif

constexpr int kValues = 100'000;
constexpr std::size_t kCapacity = 64;

// The producer's work in every test: kValues sends into a small ring, most of them while
// it is full (the drop path reloads the loop thread's counter), some accepted as the loop
// drains it.
int produce(RealtimeSender<float>& sender) {
  int accepted = 0;
  for (int i = 0; i < kValues; ++i) accepted += sender.try_send(static_cast<float>(i)) ? 1 : 0;
  return accepted;
}

// Runs `body` on a new thread while the loop thread runs the loop, and returns once both
// are done.
template <class Body>
void on_producer_thread(const RunLoop& loop, Body body) {
  std::atomic<bool> done{false};
  std::thread producer([&] {
    body();
    done = true;
  });
  EXPECT_TRUE(run_until(loop, [&] { return done.load(); }));
  producer.join();
}

TEST(RealtimeGuarantees, TrySendNeitherAllocatesNorLocks) {
  SKIP_UNDER_SANITIZERS();
  LoopFixture fixture;
  int delivered = 0;
  RealtimeSender<float> sender(
      kCapacity, [&](float) { ++delivered; }, 100us);
  int accepted = 0;
  int allocated = -1;
  int locked = -1;
  on_producer_thread(fixture.loop(), [&] {
    WatchThisThread watch;
    accepted = produce(sender);
    allocated = allocations.load();
    locked = mutex_locks.load();
  });
  EXPECT_EQ(allocated, 0);
  EXPECT_EQ(locked, 0);
  EXPECT_GT(accepted, 0);
  EXPECT_EQ(sender.dropped(), static_cast<std::uint64_t>(kValues - accepted));
}

// The control: the counting harness sees an allocation and a lock made on the watched thread.
TEST(RealtimeGuarantees, ControlTheCountersSeeAllocationsAndLocks) {
  SKIP_UNDER_SANITIZERS();
  int allocated = 0;
  int locked = 0;
  std::thread([&] {
    WatchThisThread watch;
    int* volatile allocated_here = new int(1);  // volatile: the pair cannot be elided
    delete allocated_here;
    std::mutex mutex;
    mutex.lock();
    mutex.unlock();
    allocated = allocations.load();
    locked = mutex_locks.load();
  }).join();
  EXPECT_GE(allocated, 1);
  EXPECT_GE(locked, 1);
}

// The loop side: an idle poll allocates nothing (the timer heap reuses its slot).
TEST(RealtimeGuarantees, AnIdlePollDoesNotAllocate) {
  SKIP_UNDER_SANITIZERS();
  LoopFixture fixture;
  RealtimeSender<float> sender(
      kCapacity, [](float) {}, 1ms);
  // Warm up: the first polls may grow the timer heap and the native loop's buffers.
  EXPECT_TRUE(run_for(fixture.loop(), 20ms));
  host_iterate(false);  // GLib allocates its thread-default key on the first call
  int allocated = -1;
  {
    WatchThisThread watch;
    const auto end = std::chrono::steady_clock::now() + 50ms;
    while (std::chrono::steady_clock::now() < end) host_iterate(true);  // woken by the poll
    allocated = allocations.load();
  }
  EXPECT_EQ(allocated, 0);
}

// --- No system call: seccomp ------------------------------------------------------------

#if defined(__x86_64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#else
constexpr std::uint32_t kAuditArch = 0;  // unknown here: the filter refuses every call
#endif

// From the calling thread on (and only on it: no TSYNC), every system call but exit(2)
// kills the whole process with SIGSYS. Returns errno on failure.
int forbid_system_calls() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) return errno;
  return 0;
}

struct ChildOutcome {
  bool exited = false;
  int exit_code = -1;
  int signal = 0;
};

// Exit codes of the child.
constexpr int kChildOk = 0;
constexpr int kChildNoSeccomp = 77;
constexpr int kChildFailed = 1;

// Forks; in the child, inits a loop with a RealtimeSender and starts a producer thread that
// forbids itself every system call and then runs `body(sender)`, then leaves through raw
// exit(2) (pthread's own exit path makes system calls). The loop thread drains meanwhile.
template <class Body>
ChildOutcome run_without_system_calls(Body body) {
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (!RunLoop::init()) _exit(kChildFailed);
    const RunLoop loop = RunLoop::current();
    std::atomic<int> delivered{0};
    RealtimeSender<float> sender(
        kCapacity, [&](float) { ++delivered; }, 100us);
    std::atomic<int> status{-1};  // -1 running; else 0 ok or the errno of the filter
    std::atomic<int> accepted{0};
    syscall(SYS_gettid);  // binds the syscall() PLT entry before the filter (also -z now)
    std::thread producer([&] {
      const int error = forbid_system_calls();
      if (error == 0) accepted = body(sender);
      status = error;
      syscall(SYS_exit, 0);  // the only system call the filter allows
    });
    const bool finished = run_until(loop, [&] { return status.load() >= 0; });
    producer.join();  // the kernel clears the thread id on exit(2), which wakes join
    if (!finished) _exit(kChildFailed);
    if (status != 0) _exit(status == EINVAL || status == ENOSYS ? kChildNoSeccomp : kChildFailed);
    // Every value accepted is delivered.
    const bool all_delivered = run_until(loop, [&] { return delivered == accepted; });
    _exit(all_delivered && accepted > 0 ? kChildOk : kChildFailed);
  }
  ChildOutcome outcome;
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return outcome;
  outcome.exited = WIFEXITED(status);
  outcome.exit_code = outcome.exited ? WEXITSTATUS(status) : -1;
  outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return outcome;
}

TEST(RealtimeGuarantees, TrySendMakesNoSystemCall) {
  SKIP_SECCOMP_UNDER_SANITIZERS();
  const ChildOutcome outcome =
      run_without_system_calls([](RealtimeSender<float>& sender) { return produce(sender); });
  if (outcome.exited && outcome.exit_code == kChildNoSeccomp) {
    GTEST_SKIP() << "this kernel does not offer seccomp filters";
  }
  EXPECT_NE(outcome.signal, SIGSYS) << "try_send made a system call";
  EXPECT_TRUE(outcome.exited && outcome.exit_code == kChildOk)
      << "exit code " << outcome.exit_code << ", signal " << outcome.signal;
}

// The control: the same harness kills a producer that makes one system call.
TEST(RealtimeGuarantees, ControlTheFilterCatchesASystemCall) {
  SKIP_SECCOMP_UNDER_SANITIZERS();
  const ChildOutcome outcome = run_without_system_calls([](RealtimeSender<float>& sender) {
    const int accepted = produce(sender);
    syscall(SYS_getpid);
    return accepted;
  });
  if (outcome.exited && outcome.exit_code == kChildNoSeccomp) {
    GTEST_SKIP() << "this kernel does not offer seccomp filters";
  }
  EXPECT_EQ(outcome.signal, SIGSYS);
}

}  // namespace
}  // namespace runloop::test
