# Cross-compiles for 64-bit Windows with MinGW-w64 and runs the results under Wine.
#
# The -posix compilers: the win32-threads flavour of GCC 12 has no std::thread.
# -static: the executables and DLLs carry their own libstdc++, libgcc and winpthread, so Wine
# needs no MinGW runtime DLLs next to them (and each plugin DLL is self-contained, as a real
# plugin would be).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(RUNLOOP_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${RUNLOOP_MINGW_TRIPLET}-gcc-posix)
set(CMAKE_CXX_COMPILER ${RUNLOOP_MINGW_TRIPLET}-g++-posix)
set(CMAKE_RC_COMPILER ${RUNLOOP_MINGW_TRIPLET}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${RUNLOOP_MINGW_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static")

# Wine runs what CTest starts. The prefix lives in the build directory, so a clean build
# directory is a clean Wine. No ';' may appear inside one value of this list: the DLL
# overrides are separated by ',' (mscoree/mshtml: no .NET or Gecko install prompts).
set(RUNLOOP_WINEPREFIX "${CMAKE_BINARY_DIR}/wineprefix" CACHE PATH "Wine prefix for the tests")
set(RUNLOOP_WINE_ENV
    WINEPREFIX=${RUNLOOP_WINEPREFIX}
    WINEDEBUG=-all
    WINEDLLOVERRIDES=mscoree,mshtml,winemenubuilder.exe=
    DISPLAY=)
set(CMAKE_CROSSCOMPILING_EMULATOR env ${RUNLOOP_WINE_ENV} wine)
