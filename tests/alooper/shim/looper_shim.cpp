// Test-only: the NDK's ALooper_* C functions over android::Looper (Debian's android-libutils),
// the class that libandroid's own ALooper_* functions are a thin cast layer over. Never part
// of the library; compiled alone, with Android's C++ headers as system headers.
//
// One addition, on purpose: android::Looper is not re-entrant. A pollOnce() called from inside
// a callback that pollOnce() is dispatching clears and refills the Looper's response vector
// under the outer call, which then dereferences a dangling reference and, when the nested
// round saw more events, calls a cleared callback pointer. On a device that is silent memory
// corruption or a crash "sometimes"; here it aborts at once with a message, so a test that
// re-enters the Looper fails deterministically.
#include <android/looper.h>
#include <utils/Looper.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

using android::Looper;
using android::sp;

namespace {

// The NDK's values are android::Looper's; compared as int (C++20 deprecates comparing
// enumerators of different enum types).
static_assert(int{ALOOPER_PREPARE_ALLOW_NON_CALLBACKS} == int{Looper::PREPARE_ALLOW_NON_CALLBACKS});
static_assert(int{ALOOPER_POLL_WAKE} == int{Looper::POLL_WAKE});
static_assert(int{ALOOPER_POLL_CALLBACK} == int{Looper::POLL_CALLBACK});
static_assert(int{ALOOPER_POLL_TIMEOUT} == int{Looper::POLL_TIMEOUT});
static_assert(int{ALOOPER_POLL_ERROR} == int{Looper::POLL_ERROR});
static_assert(int{ALOOPER_EVENT_INPUT} == int{Looper::EVENT_INPUT});
static_assert(int{ALOOPER_EVENT_OUTPUT} == int{Looper::EVENT_OUTPUT});
static_assert(int{ALOOPER_EVENT_ERROR} == int{Looper::EVENT_ERROR});
static_assert(int{ALOOPER_EVENT_HANGUP} == int{Looper::EVENT_HANGUP});
static_assert(int{ALOOPER_EVENT_INVALID} == int{Looper::EVENT_INVALID});

Looper* to_looper(ALooper* looper) {
  return reinterpret_cast<Looper*>(looper);
}
ALooper* to_alooper(Looper* looper) {
  return reinterpret_cast<ALooper*>(looper);
}

// Loopers inside a pollOnce() right now. A Looper belongs to one thread, so finding it here
// again means that thread re-entered it.
std::mutex polling_mutex;
std::vector<Looper*> polling;

class PollingScope {
 public:
  explicit PollingScope(Looper* looper) : looper_(looper) {
    std::lock_guard lock(polling_mutex);
    if (std::find(polling.begin(), polling.end(), looper) != polling.end()) {
      std::fprintf(stderr,
                   "looper shim: ALooper_pollOnce re-entered from inside a Looper callback; "
                   "android::Looper is not re-entrant (its response vector is reused)\n");
      std::abort();
    }
    polling.push_back(looper);
  }
  ~PollingScope() {
    std::lock_guard lock(polling_mutex);
    polling.erase(std::find(polling.begin(), polling.end(), looper_));
  }
  PollingScope(const PollingScope&) = delete;
  PollingScope& operator=(const PollingScope&) = delete;

 private:
  Looper* looper_;
};

}  // namespace

extern "C" {

ALooper* ALooper_forThread(void) {
  return to_alooper(Looper::getForThread().get());
}

// The thread's TLS slot keeps the Looper alive, so the raw pointer outlives the sp<>.
ALooper* ALooper_prepare(int opts) {
  return to_alooper(Looper::prepare(opts).get());
}

void ALooper_acquire(ALooper* looper) {
  to_looper(looper)->incStrong(reinterpret_cast<void*>(ALooper_acquire));
}

void ALooper_release(ALooper* looper) {
  to_looper(looper)->decStrong(reinterpret_cast<void*>(ALooper_acquire));
}

int ALooper_pollOnce(int timeoutMillis, int* outFd, int* outEvents, void** outData) {
  sp<Looper> looper = Looper::getForThread();
  if (looper == nullptr) {
    std::fprintf(stderr, "looper shim: ALooper_pollOnce: no looper for this thread\n");
    return ALOOPER_POLL_ERROR;
  }
  PollingScope scope(looper.get());
  return looper->pollOnce(timeoutMillis, outFd, outEvents, outData);
}

int ALooper_pollAll(int timeoutMillis, int* outFd, int* outEvents, void** outData) {
  sp<Looper> looper = Looper::getForThread();
  if (looper == nullptr) {
    std::fprintf(stderr, "looper shim: ALooper_pollAll: no looper for this thread\n");
    return ALOOPER_POLL_ERROR;
  }
  PollingScope scope(looper.get());
  return looper->pollAll(timeoutMillis, outFd, outEvents, outData);
}

void ALooper_wake(ALooper* looper) {
  to_looper(looper)->wake();
}

int ALooper_addFd(ALooper* looper, int fd, int ident, int events, ALooper_callbackFunc callback,
                  void* data) {
  return to_looper(looper)->addFd(fd, ident, events, callback, data);
}

int ALooper_removeFd(ALooper* looper, int fd) {
  return to_looper(looper)->removeFd(fd);
}

}  // extern "C"
