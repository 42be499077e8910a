# A trap: a vendored runloop must never look for GoogleTest.
message(FATAL_ERROR "a vendored runloop looked for GoogleTest (find_package(GTest))")
