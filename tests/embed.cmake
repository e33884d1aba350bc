# The embedding example of engine/mmi.hpp (docs/examples/embed.cpp) must compile and give the
# hand-worked Texas answer (tests/cmake/embed_check.cmake compares its output and exit code).
add_executable(mmi_embed_example ${PROJECT_SOURCE_DIR}/docs/examples/embed.cpp)
target_link_libraries(mmi_embed_example PRIVATE mmi_engine)
add_test(NAME embed_example
         COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:mmi_embed_example>
                 -DPOLICY=policies/us-tx.yaml -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_check.cmake
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
