#pragma once

// RUNLOOP_API marks the public API.
//
// Static build (the default): RUNLOOP_API is empty and the library itself is
// compiled with hidden visibility, so none of its compiled symbols leave the
// module that embeds it. (Marking the classes hidden here would make GCC warn
// in every user class holding a runloop type.) Plugins should compile their
// own code with -fvisibility=hidden too, as plugin SDKs recommend, so that the
// inline parts instantiated in their code stay private as well.
//
// Shared build (-DRUNLOOP_SHARED=ON): only RUNLOOP_API symbols are exported.
#if defined(RUNLOOP_SHARED_LIBRARY)
#if defined(_WIN32)
#if defined(RUNLOOP_BUILDING)
#define RUNLOOP_API __declspec(dllexport)
#else
#define RUNLOOP_API __declspec(dllimport)
#endif
#else
#define RUNLOOP_API __attribute__((visibility("default")))
#endif
#else
#define RUNLOOP_API
#endif
