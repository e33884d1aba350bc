# The examples of docs/language.md are real files under docs/examples/: every policy there checks
# without errors or warnings, every suite passes, and the tutorial's eval and what-if commands
# print what the page shows.
file(GLOB_RECURSE MMI_DOC_EXAMPLES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/examples/*.yaml)
foreach(file ${MMI_DOC_EXAMPLES})
  file(RELATIVE_PATH name ${PROJECT_SOURCE_DIR} ${file})
  if(name MATCHES "\\.test\\.yaml$")
    add_test(NAME "docs:test:${name}"
             COMMAND $<TARGET_FILE:mmi> test --format text --fail-uncovered ${name}
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  elseif(NOT name MATCHES "/cases/")
    add_test(NAME "docs:check:${name}"
             COMMAND $<TARGET_FILE:mmi> check --format text --werror ${name}
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  endif()
endforeach()

set(MMI_TUTORIAL docs/examples/tutorial)
add_test(NAME "docs:tutorial:eval"
         COMMAND $<TARGET_FILE:mmi> eval -p ${MMI_TUTORIAL}/acme.yaml
                 -c ${MMI_TUTORIAL}/cases/c-1.yaml --format text
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties("docs:tutorial:eval" PROPERTIES
  PASS_REGULAR_EXPRESSION "status +reached\n +mmi_date +2024-09-02\n +basis +potential\n +coverage_cutoff +2024-09-16")
add_test(NAME "docs:tutorial:what-if"
         COMMAND $<TARGET_FILE:mmi> eval -p ${MMI_TUTORIAL}/acme.yaml
                 -c ${MMI_TUTORIAL}/cases/c-1.yaml --set attainment=100% --format text
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties("docs:tutorial:what-if" PROPERTIES
  PASS_REGULAR_EXPRESSION "status +not_reached\n.*coverage_cutoff +2026-02-03")
# The README's first command runs this shipped example: the designated doctor's certification
# (MMI 2025-06-01) is the first valid one, served 2025-06-12, final on 2025-09-11 (+ 91 days).
add_test(NAME "docs:readme:eval"
         COMMAND $<TARGET_FILE:mmi> eval -p policies/us-tx.yaml
                 -c policies/examples/cases/c-1001.yaml --format text
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties("docs:readme:eval" PROPERTIES
  PASS_REGULAR_EXPRESSION "status +reached\n +mmi_date +2025-06-01\n +basis +final_certification")
