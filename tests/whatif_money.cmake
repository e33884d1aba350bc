# `mmi whatif` in money: --measure, --by, transitions and --sweep grids over a hand-made book
# whose figures are worked by hand in tests/whatif/money_test.py.
add_test(NAME "whatif:money-measures-segments-grid"
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/whatif/money_test.py $<TARGET_FILE:mmi>
         WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/whatif)
