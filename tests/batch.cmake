# `mmi batch` / `mmi whatif` checks that need more than the Catch2 tests in unit/batch_test.cpp:
# the HTML report in headless Chromium, and the shard-and-merge example of docs/scaling.md.
add_test(NAME "batch:report-renders-in-chromium"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/batch/report_chromium.sh $<TARGET_FILE:mmi> ${PROJECT_SOURCE_DIR})
set_tests_properties("batch:report-renders-in-chromium" PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 240)
add_test(NAME "batch:shard-and-merge-example"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/batch/shard_merge.sh $<TARGET_FILE:mmi> ${PROJECT_SOURCE_DIR})
set_tests_properties("batch:shard-and-merge-example" PROPERTIES TIMEOUT 120)
