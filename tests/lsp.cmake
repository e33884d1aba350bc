# `mmi lsp` driven by a scripted JSON-RPC client (tests/lsp/lsp_client.py).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME lsp
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/lsp/lsp_client.py
                 $<TARGET_FILE:mmi> ${PROJECT_SOURCE_DIR}
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(lsp PROPERTIES TIMEOUT 300)
