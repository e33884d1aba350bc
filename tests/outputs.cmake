# Outputs, threads and exit codes of the command line (tests/cli/outputs.py; issue 15).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME cli-outputs
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/outputs.py $<TARGET_FILE:mmi>
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
