# A newcomer's first hour (issue 10, tests/cli/newcomer.py): the tutorial of docs/language.md run
# as written, the command-line conventions, several case inputs, messages for common mistakes,
# explanations, and `cmake --install`.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
foreach(section tutorial conventions inputs messages explain install)
  add_test(NAME "newcomer:${section}"
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/newcomer.py
                   $<TARGET_FILE:mmi> ${section} ${CMAKE_BINARY_DIR}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties("newcomer:${section}" PROPERTIES TIMEOUT 120)
endforeach()
