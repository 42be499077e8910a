# Chooses the native loop backend and sets RUNLOOP_BACKEND_SOURCES / _LIBRARIES / _INCLUDE_DIRS.
# Everything found here is named RUNLOOP_* (pkg_check_modules stores its results in the
# cache, so a plain GLIB prefix would overwrite a vendoring project's own GLIB_* and
# PkgConfig::GLIB).
if(RUNLOOP_BACKEND STREQUAL "auto")
  if(WIN32)
    set(RUNLOOP_BACKEND win32)
  elseif(APPLE)
    set(RUNLOOP_BACKEND cf)
  elseif(ANDROID)
    set(RUNLOOP_BACKEND alooper)
  else()
    set(RUNLOOP_BACKEND glib)
  endif()
endif()
message(STATUS "runloop backend: ${RUNLOOP_BACKEND}")

set(RUNLOOP_BACKEND_SOURCES "")
set(RUNLOOP_BACKEND_LIBRARIES "")
set(RUNLOOP_BACKEND_INCLUDE_DIRS "")
set(RUNLOOP_PKGCONFIG_REQUIRES "")
set(RUNLOOP_PKGCONFIG_LIBS_PRIVATE "")

# Also provides the cf-compile-check target, whatever the backend.
include(RunloopCoreFoundation)

if(RUNLOOP_BACKEND STREQUAL "glib")
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(RUNLOOP_GLIB REQUIRED IMPORTED_TARGET glib-2.0)
  set(RUNLOOP_BACKEND_SOURCES src/backends/glib/glib_backend.cpp)
  set(RUNLOOP_BACKEND_LIBRARIES PkgConfig::RUNLOOP_GLIB ${CMAKE_DL_LIBS})
  set(RUNLOOP_PKGCONFIG_REQUIRES "glib-2.0")
  set(RUNLOOP_PKGCONFIG_LIBS_PRIVATE "-ldl")
elseif(RUNLOOP_BACKEND STREQUAL "alooper")
  option(RUNLOOP_ALOOPER_SHIM
         "Linux tests only: build the alooper backend against tests/alooper/shim (android::Looper)"
         OFF)
  set(RUNLOOP_BACKEND_SOURCES src/backends/alooper/alooper_backend.cpp)
  if(ANDROID)
    set(RUNLOOP_BACKEND_LIBRARIES android log)
    set(RUNLOOP_PKGCONFIG_LIBS_PRIVATE "-landroid -llog")
  elseif(RUNLOOP_ALOOPER_SHIM)
    # BUILD_INTERFACE: the shim is a test fixture, never part of an installed package.
    add_subdirectory(${PROJECT_SOURCE_DIR}/tests/alooper/shim ${PROJECT_BINARY_DIR}/alooper_shim)
    set(RUNLOOP_BACKEND_LIBRARIES $<BUILD_INTERFACE:runloop_alooper_shim>)
  else()
    message(FATAL_ERROR "runloop: the alooper backend needs an Android toolchain, or "
                        "-DRUNLOOP_ALOOPER_SHIM=ON to test it on Linux against android-libutils")
  endif()
elseif(RUNLOOP_BACKEND STREQUAL "cf")
  if(NOT RUNLOOP_COREFOUNDATION_FOUND)
    message(FATAL_ERROR "runloop: the cf backend needs CoreFoundation: build on Apple, or set "
                        "RUNLOOP_COREFOUNDATION_ROOT to the prefix of a CoreFoundation install "
                        "(the cf-compile-check preset compiles the backend without one)")
  endif()
  set(RUNLOOP_BACKEND_SOURCES ${RUNLOOP_CF_SOURCES})
  set(RUNLOOP_BACKEND_LIBRARIES ${RUNLOOP_COREFOUNDATION_LIBRARIES})
  set(RUNLOOP_BACKEND_INCLUDE_DIRS ${RUNLOOP_COREFOUNDATION_INCLUDE_DIRS})
  set(RUNLOOP_PKGCONFIG_LIBS_PRIVATE "${RUNLOOP_COREFOUNDATION_PKGCONFIG_LIBS}")
elseif(RUNLOOP_BACKEND STREQUAL "win32")
  # One message-only window per loop; user32 is all it needs.
  set(RUNLOOP_BACKEND_SOURCES
    src/backends/win32/message_window.cpp
    src/backends/win32/message_window.hpp
    src/backends/win32/wait_timer.hpp
    src/backends/win32/win32_backend.cpp)
  set(RUNLOOP_BACKEND_LIBRARIES user32)
  set(RUNLOOP_PKGCONFIG_LIBS_PRIVATE "-luser32")
else()
  message(FATAL_ERROR "runloop: backend '${RUNLOOP_BACKEND}' is not available in this build")
endif()
