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

install(TARGETS gupsim gupsim_static
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

# gupsim.pc: everything is filled in now except the prefix, which is the
# one `cmake --install --prefix` (or CMAKE_INSTALL_PREFIX) gives at install
# time, so the file is right wherever the tree is installed.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(GUPSIM_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(GUPSIM_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(GUPSIM_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(GUPSIM_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
set(GUPSIM_PC_PREFIX "@GUPSIM_PC_PREFIX@")	# kept for the install step
set(GUPSIM_PC_PTHREAD "-pthread")
if(CMAKE_THREAD_LIBS_INIT)
  set(GUPSIM_PC_PTHREAD "${CMAKE_THREAD_LIBS_INIT}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/gupsim.pc.in
               ${PROJECT_BINARY_DIR}/gupsim.pc.in @ONLY)
install(CODE "
  set(GUPSIM_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/gupsim.pc.in\"
                 \"${PROJECT_BINARY_DIR}/gupsim.pc.install/gupsim.pc\" @ONLY)
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${GUPSIM_PKGCONFIG_DIR}\"
       TYPE FILE FILES \"${PROJECT_BINARY_DIR}/gupsim.pc.install/gupsim.pc\")
" COMPONENT devel)

install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT devel)
if(EXISTS ${PROJECT_SOURCE_DIR}/README.md)
  install(FILES ${PROJECT_SOURCE_DIR}/README.md
          DESTINATION ${CMAKE_INSTALL_DOCDIR}
          COMPONENT devel)
endif()
