# Installs the built runloop into a scratch prefix, then builds and runs the consumer twice:
# with find_package(runloop CONFIG) next to the consumer's own GLib + GObject, and with
# pkg-config as a C++23 program. Run by ctest (and scripts/lanes/15-consumers.sh) with cmake -P.
# Inputs: RUNLOOP_BUILD_DIR, WORK_DIR, CONSUMER_DIR, GENERATOR, CXX_COMPILER, CXX_FLAGS,
# LINKER_FLAGS, BUILD_TYPE.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT code EQUAL 0)
    string(JOIN " " command ${ARGN})
    message(FATAL_ERROR "failed (${code}): ${command}\n${out}")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

set(prefix "${WORK_DIR}/prefix")
file(REMOVE_RECURSE "${WORK_DIR}")
run(${CMAKE_COMMAND} --install "${RUNLOOP_BUILD_DIR}" --prefix "${prefix}")

# find_package(runloop CONFIG)
run(${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${WORK_DIR}/cmake-consumer" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${prefix}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}"
    "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
run(${CMAKE_COMMAND} --build "${WORK_DIR}/cmake-consumer")
run("${WORK_DIR}/cmake-consumer/consumer")
message(STATUS "find_package consumer: ${output}")

# pkg-config, as a Makefile user would call it (no --static: a static runloop's .pc file
# must name GLib in Requires, not only in Requires.private). The user's -std=c++23 comes
# first, so a -std= from the .pc file would win and fail the consumer's static_assert.
file(GLOB_RECURSE pc_files "${prefix}/*/runloop.pc")
if(NOT pc_files)
  message(FATAL_ERROR "runloop.pc was not installed under ${prefix}")
endif()
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir "${pc_file}" DIRECTORY)
find_program(PKG_CONFIG_EXECUTABLE NAMES pkg-config pkgconf REQUIRED)
run(${CMAKE_COMMAND} -E env "PKG_CONFIG_PATH=${pc_dir}"
    ${PKG_CONFIG_EXECUTABLE} --cflags runloop)
if(output MATCHES "-std=")
  message(FATAL_ERROR "pkg-config --cflags runloop forces a language standard: ${output}")
endif()
run(${CMAKE_COMMAND} -E env "PKG_CONFIG_PATH=${pc_dir}"
    ${PKG_CONFIG_EXECUTABLE} --cflags --libs runloop)
string(STRIP "${output}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
separate_arguments(extra_flags UNIX_COMMAND "${CXX_FLAGS} ${LINKER_FLAGS}")
get_filename_component(libdir "${pc_dir}" DIRECTORY)
run(${CXX_COMPILER} -std=c++23 -DRUNLOOP_CONSUMER_EXPECT_CXX23 ${extra_flags}
    "${CONSUMER_DIR}/main.cpp" -o "${WORK_DIR}/pc-consumer"
    ${pc_flags} "-Wl,-rpath,${libdir}")  # the rpath matters only for -DRUNLOOP_SHARED=ON
run("${WORK_DIR}/pc-consumer")
message(STATUS "pkg-config consumer: ${output}")
