# SPDX-License-Identifier: MIT
# Install rules: headers, both libraries, gupsim.pc and the CMake package
# (gupsim-config.cmake, gupsim-config-version.cmake, gupsim-targets.cmake
# exporting gupsim::gupsim and gupsim::gupsim_static).

set(GUPSIM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/gupsim)
set(GUPSIM_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/gupsim
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT devel
        FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/gupsim/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gupsim
        COMPONENT devel)

install(TARGETS gupsim gupsim_archive
        EXPORT gupsim-targets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
                COMPONENT runtime NAMELINK_COMPONENT devel
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT devel
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT gupsim-targets
        NAMESPACE gupsim::
        FILE gupsim-targets.cmake
        DESTINATION ${GUPSIM_CMAKE_DIR}
        COMPONENT devel)

# gupsim-config.cmake: find_dependency(Threads) and, for the atomic_ops
# backend, the pkg-config module the static library needs at link time.
if(GUPSIM_ATOMICS STREQUAL "atomic_ops")
  set(GUPSIM_CONFIG_NEEDS_ATOMIC_OPS ON)
  set(GUPSIM_PC_REQUIRES_PRIVATE "Requires.private: atomic_ops")
else()
  set(GUPSIM_CONFIG_NEEDS_ATOMIC_OPS OFF)
  set(GUPSIM_PC_REQUIRES_PRIVATE "")
endif()
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/gupsim-config.cmake.in
  ${PROJECT_BINARY_DIR}/gupsim-config.cmake
  INSTALL_DESTINATION ${GUPSIM_CMAKE_DIR}
  NO_SET_AND_CHECK_MACRO NO_CHECK_REQUIRED_COMPONENTS_MACRO)
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/gupsim-config-version.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gupsim-config.cmake
              ${PROJECT_BINARY_DIR}/gupsim-config-version.cmake
        DESTINATION ${GUPSIM_CMAKE_DIR}
        COMPONENT devel)

# gupsim.pc (shared; --static adds -pthread) and gupsim-static.pc (links
# libgupsim.a by its path). Relocatable: the prefix is found from the .pc
# file's own place (${pcfiledir}), so a tree copied or installed with
# `cmake --install --prefix ANY` needs no edit. An absolute
# CMAKE_INSTALL_LIBDIR or INCLUDEDIR is written as is.
file(RELATIVE_PATH GUPSIM_PC_UP "/prefix/${GUPSIM_PKGCONFIG_DIR}" "/prefix")
string(REGEX REPLACE "/$" "" GUPSIM_PC_UP "${GUPSIM_PC_UP}")
set(GUPSIM_PC_PREFIX "\${pcfiledir}/${GUPSIM_PC_UP}")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(GUPSIM_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(GUPSIM_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(GUPSIM_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(GUPSIM_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(GUPSIM_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
set(GUPSIM_PC_PTHREAD "-pthread")
if(CMAKE_THREAD_LIBS_INIT)
  set(GUPSIM_PC_PTHREAD "${CMAKE_THREAD_LIBS_INIT}")
endif()
if(GUPSIM_ATOMICS STREQUAL "atomic_ops")
  set(GUPSIM_PC_REQUIRES_STATIC "Requires: atomic_ops")
else()
  set(GUPSIM_PC_REQUIRES_STATIC "")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/gupsim.pc.in ${PROJECT_BINARY_DIR}/gupsim.pc @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/gupsim-static.pc.in
               ${PROJECT_BINARY_DIR}/gupsim-static.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/gupsim.pc ${PROJECT_BINARY_DIR}/gupsim-static.pc
        DESTINATION ${GUPSIM_PKGCONFIG_DIR}
        COMPONENT devel)

install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT devel)
if(EXISTS ${PROJECT_SOURCE_DIR}/README.md)
  install(FILES ${PROJECT_SOURCE_DIR}/README.md
          DESTINATION ${CMAKE_INSTALL_DOCDIR}
          COMPONENT devel)
endif()
