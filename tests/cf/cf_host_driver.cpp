#include <CoreFoundation/CoreFoundation.h>

#include "host_drive.hpp"

namespace runloop::test {

// A host iterating its CFRunLoop: one pass in the default mode, returning after one handled
// source (as NSRunLoop's runMode:beforeDate: does), sleeping at most a second.
void host_iterate(bool may_block) {
  CFRunLoopRunInMode(kCFRunLoopDefaultMode, may_block ? 1.0 : 0, true);
}

namespace {

// A version-0 source in the default mode whose perform does nothing: signalled and woken,
// it makes a blocked host_iterate() return (a bare CFRunLoopWakeUp would not).
struct Nudge {
  CFRunLoopRef loop;
  CFRunLoopSourceRef source;
  ~Nudge() {
    CFRunLoopSourceInvalidate(source);
    CFRelease(source);
    CFRelease(loop);
  }
};

}  // namespace

std::function<void()> host_waker() {
  CFRunLoopSourceContext context{};
  context.perform = [](void*) {};
  auto nudge = std::make_shared<Nudge>();
  nudge->loop = static_cast<CFRunLoopRef>(const_cast<void*>(CFRetain(CFRunLoopGetCurrent())));
  nudge->source = CFRunLoopSourceCreate(kCFAllocatorDefault, 0, &context);
  CFRunLoopAddSource(nudge->loop, nudge->source, kCFRunLoopDefaultMode);
  return [nudge] {
    CFRunLoopSourceSignal(nudge->source);
    CFRunLoopWakeUp(nudge->loop);
  };
}

const char* backend_name() {
  return "cf";
}

bool host_loop_is_reentrant() {
  return true;
}

// The host's own source: it signals itself again from its perform, so it is ready on every
// pass, beside ours.
struct HostActivity::Impl {
  CFRunLoopSourceRef source = nullptr;
  int runs = 0;
};

HostActivity::HostActivity() : impl_(new Impl) {
  CFRunLoopSourceContext context{};
  context.info = impl_.get();
  context.perform = [](void* info) {
    auto* impl = static_cast<Impl*>(info);
    ++impl->runs;
    CFRunLoopSourceSignal(impl->source);
  };
  impl_->source = CFRunLoopSourceCreate(kCFAllocatorDefault, 0, &context);
  CFRunLoopAddSource(CFRunLoopGetCurrent(), impl_->source, kCFRunLoopDefaultMode);
  CFRunLoopSourceSignal(impl_->source);
}

HostActivity::~HostActivity() {
  CFRunLoopSourceInvalidate(impl_->source);
  CFRelease(impl_->source);
}

int HostActivity::runs() const {
  return impl_->runs;
}

}  // namespace runloop::test
