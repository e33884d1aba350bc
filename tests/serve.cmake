# `mmi serve` against a running server on 127.0.0.1 (tests/serve/serve_test.py, stdlib only).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
foreach(case endpoints protocol malformed_and_duplicate_keys body_over_limit slow_client disconnect_mid_batch
        batch_streams reload_broken_policy_under_load sigterm_drains decision_log
        decision_log_full_disk token_and_listen duplicate_ids connection_limit idle_timeout)
  add_test(NAME "serve:${case}"
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/serve/serve_test.py
                   $<TARGET_FILE:mmi> ${PROJECT_SOURCE_DIR} ${case}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties("serve:${case}" PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77)
endforeach()
