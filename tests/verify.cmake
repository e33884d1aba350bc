# mmi verify (docs/verify.md): the shipped policies' findings, the round trip of every
# counterexample through `mmi eval`, and random policies where verify must never call proved what
# eval refutes.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(MMI_VERIFY_SHIPPED us-ca us-fl us-ga us-mn us-pa us-tx examples/acme-tx-plateau
  examples/harbor-fl-potential examples/keystone-pa-plateau examples/northstar-mn-potential)
foreach(state ${MMI_VERIFY_SHIPPED})
  add_test(NAME "verify:${state}"
           COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/verify/shipped.py
                   $<TARGET_FILE:mmi> ${PROJECT_SOURCE_DIR}/policies/${state}.yaml
                   ${CMAKE_CURRENT_SOURCE_DIR}/verify/shipped.expected)
  set_tests_properties("verify:${state}" PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endforeach()
add_test(NAME verify:round_trip
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/verify/round_trip.py
                 $<TARGET_FILE:mmi> ${CMAKE_CURRENT_BINARY_DIR}/verify-counterexamples
                 policies/us-tx.yaml policies/us-pa.yaml policies/us-mn.yaml policies/us-ca.yaml
                 policies/us-fl.yaml
                 policies/examples/acme-tx-plateau.yaml tests/verify/broken.yaml
                 tests/verify/aggregates.yaml)
set_tests_properties(verify:round_trip PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
add_test(NAME verify:random_policies
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/verify/random_policies.py
                 $<TARGET_FILE:mmi> ${CMAKE_CURRENT_BINARY_DIR}/verify-random 7 10 100)
# --against: a policy never differs from itself; a cutoff moved by a day differs in the cutoff only.
add_test(NAME verify:against_self
         COMMAND mmi verify policies/us-ga.yaml --against policies/us-ga.yaml)
set_tests_properties(verify:against_self PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
add_test(NAME verify:against_cutoff
         COMMAND mmi verify tests/verify/broken.yaml --against tests/verify/broken-v2.yaml)
set_tests_properties(verify:against_cutoff PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  PASS_REGULAR_EXPRESSION "proved: differs:status .*proved: differs:basis .*violated: differs:coverage_cutoff")
# The encoder's calendar (date + period, year, month) and round against the engine's functions.
find_package(PkgConfig REQUIRED)
pkg_check_modules(Z3 REQUIRED IMPORTED_TARGET z3)
add_executable(verify_encoder_test ${CMAKE_CURRENT_SOURCE_DIR}/verify/encoder_test.cpp)
target_link_libraries(verify_encoder_test PRIVATE mmi_verify PkgConfig::Z3 fmt::fmt)
add_test(NAME verify:encoder_calendar
         COMMAND verify_encoder_test ${CMAKE_CURRENT_SOURCE_DIR}/verify/calendar.yaml)
# --against summarises each difference as the kinds found (status and deciding rule under each
# policy; for the cutoff, which is earlier); moving a rule first gives exactly one kind each.
add_test(NAME verify:against_kinds
         COMMAND mmi verify tests/verify/broken.yaml --against tests/verify/broken-v3.yaml)
set_tests_properties(verify:against_kinds PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  PASS_REGULAR_EXPRESSION "proved: differs:status .*violated: differs:basis [^\n]*\n[^\n]*\n    when: reached by `early` here, reached by `masked` under tests/verify/broken-v3.yaml\n      [|] .*violated: differs:coverage_cutoff [^\n]*\n[^\n]*\n    when: coverage_cutoff earlier here: reached by `early` here, reached by `masked` under tests/verify/broken-v3.yaml\n      [|] "
  FAIL_REGULAR_EXPRESSION "maybe more")
add_test(NAME verify:against_kinds_json
         COMMAND mmi verify tests/verify/broken.yaml --against tests/verify/broken-v3.yaml --format json)
set_tests_properties(verify:against_kinds_json PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  PASS_REGULAR_EXPRESSION "\"conditions\": \\[\n      \"reached by `early` here, reached by `masked` under tests/verify/broken-v3.yaml\"\n    \\],\n    \"counterexample\": \"# differs: `reached [0-9-]+ early [0-9-]+` vs `reached [0-9-]+ masked [0-9-]+`\\\\nid: verify-differs-basis")
add_test(NAME verify:against_kinds_sarif
         COMMAND mmi verify tests/verify/broken.yaml --against tests/verify/broken-v3.yaml --format sarif)
set_tests_properties(verify:against_kinds_sarif PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  PASS_REGULAR_EXPRESSION "\\\\nwhen: coverage_cutoff earlier here: reached by `early` here, reached by `masked` under tests/verify/broken-v3.yaml\"")
# avg and median are encoded (a mean over 3 items within the engine's 34-digit rounding);
# combined_rating by a bound (0-100 and no error while every rating is within 0-100; scores here
# are unbounded above, so the solver's error case does not replay); trend is not encoded: the
# findings that read them are unknown and name them.
add_test(NAME verify:aggregates COMMAND mmi verify tests/verify/aggregates.yaml)
set_tests_properties(verify:aggregates PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  PASS_REGULAR_EXPRESSION "unknown: no_evaluation_error [^\n]*\n    encoding gap: [^\n]*; bounded, not encoded exactly: built-in `combined_rating`\n.*proved: property:median_within_range .*proved: property:avg_not_negative .*known_violation: property:median_is_avg .*unknown: property:trend_flat [^\n]*\n    not encoded: built-in `trend`\n4 proved, 0 violated, 2 unknown, 1 known violations")
# Regression: two encoders in one solver context once shared their helper constants by name (the
# civil date of `injury.date` and of `as_of` forced equal), so this difference was "proved" away.
add_test(NAME verify:against_own_helpers
         COMMAND mmi verify tests/verify/year-after-a.yaml --against tests/verify/year-after-b.yaml)
set_tests_properties(verify:against_own_helpers PROPERTIES WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  PASS_REGULAR_EXPRESSION "violated: differs:coverage_cutoff [^\n]*\n[^\n]*\n    when: coverage_cutoff (earlier|later) here: reached by `always` here, reached by `always` under tests/verify/year-after-b.yaml\n    when: coverage_cutoff (earlier|later) here: ")
