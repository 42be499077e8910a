# Chooses the native loop backend and sets RUNLOOP_BACKEND_SOURCES / _LIBRARIES.
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
set(RUNLOOP_PKGCONFIG_REQUIRES "")
set(RUNLOOP_PKGCONFIG_LIBS_PRIVATE "")

if(RUNLOOP_BACKEND STREQUAL "glib")
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(GLIB REQUIRED IMPORTED_TARGET glib-2.0)
  set(RUNLOOP_BACKEND_SOURCES src/backends/glib/glib_backend.cpp)
  set(RUNLOOP_BACKEND_LIBRARIES PkgConfig::GLIB ${CMAKE_DL_LIBS})
  set(RUNLOOP_PKGCONFIG_REQUIRES "glib-2.0")
  set(RUNLOOP_PKGCONFIG_LIBS_PRIVATE "-ldl")
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
