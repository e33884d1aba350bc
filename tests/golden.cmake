# Golden outputs of `mmi check` and `mmi eval --explain` (tests/golden/run.py; see tests/README.md).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME golden
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/golden/run.py
                 --mmi $<TARGET_FILE:mmi>
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
