# The shared build's export list: the runloop:: API and nothing else.
#
# RUNLOOP_API plus hidden visibility exports the public classes, but GCC also gives default
# visibility to what it instantiates over them, e.g. the vtable and typeinfo of
# std::_Sp_counted_ptr<runloop::Timer::State*> and typeinfo for std::_Sp_counted_base. Another
# module could bind to those, so on ELF a linker version script keeps only runloop:: symbols.
# (PE exports only dllexport symbols anyway; Apple's linker has no version scripts.)
include(CheckLinkerFlag)

function(runloop_limit_exports target)
  if(WIN32 OR APPLE)
    return()
  endif()
  set(script "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/runloop_exports.map")
  check_linker_flag(CXX "LINKER:--version-script=${script}" RUNLOOP_HAVE_VERSION_SCRIPT)
  if(RUNLOOP_HAVE_VERSION_SCRIPT)
    target_link_options(${target} PRIVATE "LINKER:--version-script=${script}")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${script}")
  endif()
endfunction()
