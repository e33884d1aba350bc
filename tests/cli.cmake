# Exit codes and messages of the command line (tests/cli/cli_behaviour.py).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME cli-behaviour
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_behaviour.py $<TARGET_FILE:mmi>
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
