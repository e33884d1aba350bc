# Strict case input (tests/cli/strict_input.py): the hostile inputs of issue 15 through `mmi batch`
# and `mmi eval`, and a differential check of JSON lines against Python's json made strict.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME cli-strict-input
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/strict_input.py $<TARGET_FILE:mmi>
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
if(MMI_SANITIZE)
  # ASan's shadow memory and quarantine inflate peak RSS: the memory bounds are scaled for it.
  set_tests_properties(cli-strict-input PROPERTIES ENVIRONMENT MMI_SANITIZED=1)
endif()
