// Where the CoreFoundation API comes from, and which Objective-C pieces are compiled.
#pragma once

#if defined(RUNLOOP_CF_DECLARATIONS_ONLY)
// cf-compile-check on a machine without CoreFoundation: compile-only declarations.
#include "backends/cf/cf_declarations.h"
#else
// Apple, or Linux against the CoreFoundation under RUNLOOP_COREFOUNDATION_ROOT.
#include <CoreFoundation/CoreFoundation.h>
#endif

// RUNLOOP_CF_OBJC: autorelease pools around our batches (every Apple platform).
// RUNLOOP_CF_APPKIT: run_app()/stop_app() through NSApplication (macOS only).
// RUNLOOP_CF_FORCE_OBJC turns both on elsewhere so that cf-compile-check compiles the macOS
// code paths too; such a build is never linked.
#if defined(__APPLE__)
#include <TargetConditionals.h>
#define RUNLOOP_CF_OBJC 1
#if TARGET_OS_OSX
#define RUNLOOP_CF_APPKIT 1
#endif
#elif defined(RUNLOOP_CF_FORCE_OBJC)
#define RUNLOOP_CF_OBJC 1
#define RUNLOOP_CF_APPKIT 1
#endif
