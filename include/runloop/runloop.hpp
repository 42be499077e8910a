#pragma once

#include "runloop/diagnostics.hpp"  // IWYU pragma: export
#include "runloop/error.hpp"        // IWYU pragma: export
#include "runloop/handle.hpp"       // IWYU pragma: export
#include "runloop/join_handle.hpp"  // IWYU pragma: export
#include "runloop/realtime.hpp"     // IWYU pragma: export
#include "runloop/result.hpp"       // IWYU pragma: export
#include "runloop/resume_on.hpp"    // IWYU pragma: export
#include "runloop/run_loop.hpp"     // IWYU pragma: export
#include "runloop/sender.hpp"       // IWYU pragma: export
#include "runloop/task.hpp"         // IWYU pragma: export
#include "runloop/timer.hpp"        // IWYU pragma: export
