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

set(RUNLOOP_PKGCONFIG_CFLAGS "")
if(RUNLOOP_SHARED)
  set(RUNLOOP_PKGCONFIG_CFLAGS "-DRUNLOOP_SHARED_LIBRARY")
endif()
configure_file(cmake/runloop.pc.in ${PROJECT_BINARY_DIR}/runloop.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/runloop.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
