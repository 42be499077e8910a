include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS runloop EXPORT runloopTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/runloop DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT runloopTargets NAMESPACE runloop::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/runloop)

configure_package_config_file(cmake/runloopConfig.cmake.in
  ${PROJECT_BINARY_DIR}/runloopConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/runloop)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/runloopConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/runloopConfig.cmake
              ${PROJECT_BINARY_DIR}/runloopConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/runloop)

# pkg-config. The prefix is found from the .pc file's own place (${pcfiledir}), so the file
# stays right whatever `cmake --install --prefix` is used. A static runloop needs its native
# loop library at the consumer's link, so it goes in Requires/Libs: Requires.private and
# Libs.private are read only by `pkg-config --static`, which most builds do not pass.
set(RUNLOOP_PKGCONFIG_CFLAGS "")
set(RUNLOOP_PC_REQUIRES "")
set(RUNLOOP_PC_REQUIRES_PRIVATE "")
set(RUNLOOP_PC_LIBS "")
set(RUNLOOP_PC_LIBS_PRIVATE "")
# The backend's own link flags (e.g. -ldl for GLib, frameworks for CoreFoundation).
set(runloop_pc_link_libs "${RUNLOOP_PKGCONFIG_LIBS_PRIVATE}")
if(RUNLOOP_SHARED)
  set(RUNLOOP_PKGCONFIG_CFLAGS "-DRUNLOOP_SHARED_LIBRARY")
  set(RUNLOOP_PC_REQUIRES_PRIVATE "${RUNLOOP_PKGCONFIG_REQUIRES}")
  set(RUNLOOP_PC_LIBS_PRIVATE "${runloop_pc_link_libs}")
else()
  set(RUNLOOP_PC_REQUIRES "${RUNLOOP_PKGCONFIG_REQUIRES}")
  set(RUNLOOP_PC_LIBS "${runloop_pc_link_libs}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(RUNLOOP_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(RUNLOOP_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH runloop_pc_up "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
  string(REGEX REPLACE "/$" "" runloop_pc_up "${runloop_pc_up}")
  set(RUNLOOP_PC_PREFIX "\${pcfiledir}/${runloop_pc_up}")
  set(RUNLOOP_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(RUNLOOP_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(RUNLOOP_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(cmake/runloop.pc.in ${PROJECT_BINARY_DIR}/runloop.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/runloop.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
