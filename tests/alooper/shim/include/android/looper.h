// Test-only stand-in for the NDK's <android/looper.h>, written from the NDK's public reference
// (https://developer.android.com/ndk/reference/group/looper). The declarations match the NDK's
// so that the library compiles against this header exactly as it would against the NDK's.
// looper_shim.cpp implements them over android::Looper from Debian's android-libutils-dev,
// which is the implementation that libandroid's ALooper_* functions wrap on a device.
#ifndef RUNLOOP_TEST_SHIM_ANDROID_LOOPER_H
#define RUNLOOP_TEST_SHIM_ANDROID_LOOPER_H

#ifdef __cplusplus
extern "C" {
#endif

struct ALooper;
typedef struct ALooper ALooper;

// Option for ALooper_prepare().
enum {
  ALOOPER_PREPARE_ALLOW_NON_CALLBACKS = 1 << 0,
};

// Results of ALooper_pollOnce() / ALooper_pollAll().
enum {
  ALOOPER_POLL_WAKE = -1,
  ALOOPER_POLL_CALLBACK = -2,
  ALOOPER_POLL_TIMEOUT = -3,
  ALOOPER_POLL_ERROR = -4,
};

// File descriptor events.
enum {
  ALOOPER_EVENT_INPUT = 1 << 0,
  ALOOPER_EVENT_OUTPUT = 1 << 1,
  ALOOPER_EVENT_ERROR = 1 << 2,
  ALOOPER_EVENT_HANGUP = 1 << 3,
  ALOOPER_EVENT_INVALID = 1 << 4,
};

// Return 1 to keep receiving callbacks, 0 to have the fd and callback unregistered.
typedef int (*ALooper_callbackFunc)(int fd, int events, void* data);

ALooper* ALooper_forThread(void);
ALooper* ALooper_prepare(int opts);
void ALooper_acquire(ALooper* looper);
void ALooper_release(ALooper* looper);
int ALooper_pollOnce(int timeoutMillis, int* outFd, int* outEvents, void** outData);
// Deprecated by the NDK (it may ignore wakes); declared because the NDK declares it.
int ALooper_pollAll(int timeoutMillis, int* outFd, int* outEvents, void** outData);
void ALooper_wake(ALooper* looper);
int ALooper_addFd(ALooper* looper, int fd, int ident, int events, ALooper_callbackFunc callback,
                  void* data);
int ALooper_removeFd(ALooper* looper, int fd);

#ifdef __cplusplus
}
#endif

#endif  // RUNLOOP_TEST_SHIM_ANDROID_LOOPER_H
