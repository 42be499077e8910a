// Objective-C runtime calls for the CoreFoundation backend (see cf_objc.hpp).
//
// Every message goes through objc_msgSend cast to the exact C signature of the method: the
// runtime requires the caller to use the callee's real argument and return types (a variadic
// call would pass doubles and structs in the wrong registers on arm64).
#include "backends/cf/cf_objc.hpp"

#if RUNLOOP_CF_OBJC

#include <dlfcn.h>

#if defined(__APPLE__)
#include <objc/message.h>
#include <objc/runtime.h>
#else
// Compile check only (RUNLOOP_CF_FORCE_OBJC off Apple): the runtime's C API as declared by
// <objc/objc.h>, <objc/runtime.h> and <objc/message.h> (arm64: BOOL is bool).
extern "C" {
typedef struct objc_class* Class;
typedef struct objc_object* id;
typedef struct objc_selector* SEL;
typedef bool BOOL;
Class objc_getClass(const char* name);
SEL sel_registerName(const char* str);
void objc_msgSend(void);
}
#endif

// Exported by libobjc on every Apple platform (they are what @autoreleasepool compiles to),
// but declared by no public header.
extern "C" void* objc_autoreleasePoolPush(void);
extern "C" void objc_autoreleasePoolPop(void* context);

namespace runloop::detail::objc {

AutoreleasePool::AutoreleasePool() noexcept : token_(objc_autoreleasePoolPush()) {}
AutoreleasePool::~AutoreleasePool() {
  objc_autoreleasePoolPop(token_);
}

#if RUNLOOP_CF_APPKIT
namespace {

// AppKit's types, spelled as the C types they are on 64-bit macOS.
using NSUInteger = unsigned long;
using NSInteger = long;
using NSEventMask = unsigned long long;
struct NSPoint {
  double x;
  double y;
};
constexpr NSUInteger kNSEventTypeApplicationDefined = 15;
constexpr NSEventMask kNSEventMaskAny = ~NSEventMask{0};

// `objc_msgSend` is declared `void objc_msgSend(void)` precisely so that it is cast to each
// method's own signature before the call.
template <class Result, class... Args>
Result send(id receiver, const char* selector, Args... args) {
  using Method = Result (*)(id, SEL, Args...);
  return reinterpret_cast<Method>(&objc_msgSend)(receiver, sel_registerName(selector), args...);
}

id class_named(const char* name) {
  return reinterpret_cast<id>(objc_getClass(name));
}

// AppKit's NSApp global: nil until something created the application. Looked up, so that
// asking whether it runs does not create one.
id application() {
  auto* global = reinterpret_cast<id*>(dlsym(RTLD_DEFAULT, "NSApp"));
  return global != nullptr ? *global : nullptr;
}

}  // namespace

bool have_application() noexcept {
  return class_named("NSApplication") != nullptr;
}

bool application_is_running() noexcept {
  id app = application();
  return app != nullptr && send<BOOL>(app, "isRunning");
}

void run_application() {
  id application_class = class_named("NSApplication");
  if (application_class == nullptr) return;
  if (id app = send<id>(application_class, "sharedApplication")) send<void>(app, "run");
}

void stop_application() noexcept {
  id app = application();
  if (app == nullptr) return;
  send<void>(app, "stop:", static_cast<id>(nullptr));
  post_wake_event();
}

void post_wake_event() noexcept {
  id app = application();
  id event_class = class_named("NSEvent");
  if (app == nullptr || event_class == nullptr) return;
  id event = send<id>(
      event_class,
      "otherEventWithType:location:modifierFlags:timestamp:windowNumber:context:subtype:data1:"
      "data2:",
      kNSEventTypeApplicationDefined, NSPoint{0, 0}, NSUInteger{0}, 0.0, NSInteger{0},
      static_cast<id>(nullptr), short{0}, NSInteger{0}, NSInteger{0});
  if (event != nullptr) send<void>(app, "postEvent:atStart:", event, static_cast<BOOL>(false));
}

void handle_next_event() {
  id app = application();
  id date_class = class_named("NSDate");
  if (app == nullptr || date_class == nullptr) return;
  id distant_future = send<id>(date_class, "distantFuture");
  // NSDefaultRunLoopMode is toll-free bridged to kCFRunLoopDefaultMode.
  id mode = reinterpret_cast<id>(const_cast<__CFString*>(kCFRunLoopDefaultMode));
  id event = send<id>(app, "nextEventMatchingMask:untilDate:inMode:dequeue:", kNSEventMaskAny,
                      distant_future, mode, static_cast<BOOL>(true));
  if (event != nullptr) send<void>(app, "sendEvent:", event);
}
#endif  // RUNLOOP_CF_APPKIT

}  // namespace runloop::detail::objc

#endif  // RUNLOOP_CF_OBJC
