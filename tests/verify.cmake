# mmi verify (docs/verify.md): the shipped policies' findings, the round trip of every
# counterexample through `mmi eval`, and random policies where verify must never call proved what
# eval refutes.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(MMI_VERIFY_SHIPPED us-ca us-fl us-ga us-mn us-pa us-tx)
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
                 policies/examples/acme-tx-plateau.yaml tests/verify/broken.yaml)
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
