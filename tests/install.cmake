# `cmake --install` of this build, then docs/examples/embed.cpp as a separate CMake project that
# finds it with find_package(mmi) and links mmi::engine; the example must give the Texas answer.
# Not under the sanitizers: the consumer project would link instrumented libraries uninstrumented.
if(NOT MMI_SANITIZE)
set(MMI_INSTALL_TEST_DIR ${CMAKE_BINARY_DIR}/install-test)
add_test(NAME install:find_package-embed
         COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${CMAKE_BINARY_DIR} -DWORK=${MMI_INSTALL_TEST_DIR}
                 -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DGENERATOR=${CMAKE_GENERATOR}
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/install_check.cmake
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(install:find_package-embed PROPERTIES RUN_SERIAL TRUE)
endif()
