# CoreFoundation for the cf backend, and the cf-compile-check target.
#
# Where CoreFoundation comes from:
# - Apple: the CoreFoundation framework, plus libobjc (autorelease pools; NSApplication is
#   found at run time, AppKit is never linked).
# - Elsewhere: an open-source CoreFoundation installed under RUNLOOP_COREFOUNDATION_ROOT
#   (<prefix>/include/CoreFoundation/CoreFoundation.h and <prefix>/lib/libCoreFoundation).
# Sets RUNLOOP_COREFOUNDATION_FOUND, _INCLUDE_DIRS, _LIBRARIES and _PKGCONFIG_LIBS, and
# RUNLOOP_CF_SOURCES. Whoever uses _INCLUDE_DIRS adds them as SYSTEM include directories: CF's are
# C headers that are not ours to keep clean under our C++ warning set, and -Werror must stay
# about our code (lane 60-cf-compile checks this with a header that warns).
set(RUNLOOP_COREFOUNDATION_ROOT "" CACHE PATH
    "Prefix of a CoreFoundation install, for the cf backend off Apple")
set(RUNLOOP_COREFOUNDATION_EXTRA_LIBRARIES "" CACHE STRING
    "Libraries a static CoreFoundation under RUNLOOP_COREFOUNDATION_ROOT needs (e.g. dispatch)")
option(RUNLOOP_CF_COMPILE_CHECK
       "Add the cf-compile-check target: compiles the cf backend, links nothing" OFF)

set(RUNLOOP_CF_SOURCES
  ${PROJECT_SOURCE_DIR}/src/backends/cf/cf_backend.cpp
  ${PROJECT_SOURCE_DIR}/src/backends/cf/cf_objc.cpp)

set(RUNLOOP_COREFOUNDATION_FOUND OFF)
set(RUNLOOP_COREFOUNDATION_INCLUDE_DIRS "")
set(RUNLOOP_COREFOUNDATION_LIBRARIES "")
set(RUNLOOP_COREFOUNDATION_PKGCONFIG_LIBS "")
if(APPLE)
  set(RUNLOOP_COREFOUNDATION_FOUND ON)
  set(RUNLOOP_COREFOUNDATION_LIBRARIES "-framework CoreFoundation" objc)
  set(RUNLOOP_COREFOUNDATION_PKGCONFIG_LIBS "-framework CoreFoundation -lobjc")
elseif(RUNLOOP_COREFOUNDATION_ROOT)
  find_path(RUNLOOP_COREFOUNDATION_INCLUDE_DIR CoreFoundation/CoreFoundation.h
            PATHS ${RUNLOOP_COREFOUNDATION_ROOT}/include NO_DEFAULT_PATH)
  find_library(RUNLOOP_COREFOUNDATION_LIBRARY CoreFoundation
               PATHS ${RUNLOOP_COREFOUNDATION_ROOT}/lib NO_DEFAULT_PATH)
  if(NOT RUNLOOP_COREFOUNDATION_INCLUDE_DIR OR NOT RUNLOOP_COREFOUNDATION_LIBRARY)
    message(FATAL_ERROR "runloop: no CoreFoundation under RUNLOOP_COREFOUNDATION_ROOT="
                        "${RUNLOOP_COREFOUNDATION_ROOT} (looked for include/CoreFoundation/"
                        "CoreFoundation.h and lib/libCoreFoundation)")
  endif()
  set(RUNLOOP_COREFOUNDATION_FOUND ON)
  set(RUNLOOP_COREFOUNDATION_INCLUDE_DIRS ${RUNLOOP_COREFOUNDATION_INCLUDE_DIR})
  set(RUNLOOP_COREFOUNDATION_LIBRARIES ${RUNLOOP_COREFOUNDATION_LIBRARY}
      ${RUNLOOP_COREFOUNDATION_EXTRA_LIBRARIES})
  set(RUNLOOP_COREFOUNDATION_PKGCONFIG_LIBS
      "-L${RUNLOOP_COREFOUNDATION_ROOT}/lib -lCoreFoundation")
  foreach(library IN LISTS RUNLOOP_COREFOUNDATION_EXTRA_LIBRARIES)
    string(APPEND RUNLOOP_COREFOUNDATION_PKGCONFIG_LIBS " -l${library}")
  endforeach()
endif()

# CI has no CoreFoundation, yet must compile the backend on every run. This target compiles
# its sources with -Werror against the real headers when there are some, else against
# src/backends/cf/cf_declarations.h, and with the Objective-C (macOS) paths forced on. It is
# an OBJECT library: nothing is linked, so nothing of it can be run.
if(RUNLOOP_CF_COMPILE_CHECK)
  include(RunloopWarnings)
  add_library(cf-compile-check OBJECT ${RUNLOOP_CF_SOURCES})
  target_include_directories(cf-compile-check PRIVATE
    ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
  if(RUNLOOP_COREFOUNDATION_INCLUDE_DIRS)
    # SYSTEM, as for the library: -Werror is for our code, not for CF's headers.
    target_include_directories(cf-compile-check SYSTEM PRIVATE
      ${RUNLOOP_COREFOUNDATION_INCLUDE_DIRS})
  endif()
  target_compile_features(cf-compile-check PRIVATE cxx_std_20)
  target_compile_definitions(cf-compile-check PRIVATE RUNLOOP_BUILDING RUNLOOP_CF_FORCE_OBJC)
  if(NOT RUNLOOP_COREFOUNDATION_FOUND)
    target_compile_definitions(cf-compile-check PRIVATE RUNLOOP_CF_DECLARATIONS_ONLY)
  endif()
  set_target_properties(cf-compile-check PROPERTIES
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON)
  runloop_enable_warnings(cf-compile-check)
  if(NOT MSVC)
    target_compile_options(cf-compile-check PRIVATE -Werror)
  endif()
endif()
