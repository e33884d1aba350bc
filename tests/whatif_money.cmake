# `mmi whatif` in money: --measure, --by, transitions and --sweep grids over a hand-made book
# whose figures are worked by hand in tests/whatif/money_test.py.
add_test(NAME "whatif:money-measures-segments-grid"
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/whatif/money_test.py $<TARGET_FILE:mmi>
         WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/whatif)
add_test(NAME "whatif:money-report-renders-in-chromium"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/whatif/report_chromium.sh $<TARGET_FILE:mmi>
         WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/whatif)
set_tests_properties("whatif:money-report-renders-in-chromium" PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
