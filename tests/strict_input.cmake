# Strict case input (tests/cli/strict_input.py): the hostile inputs of issue 15 through `mmi batch`
# and `mmi eval`, and a differential check of JSON lines against Python's json made strict.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME cli-strict-input
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/strict_input.py $<TARGET_FILE:mmi>
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
