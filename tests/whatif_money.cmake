# `mmi whatif` in money: --measure, --by, transitions and --sweep grids over a hand-made book
# whose figures are worked by hand in tests/whatif/money_test.py.
add_test(NAME "whatif:money-measures-segments-grid"
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/whatif/money_test.py $<TARGET_FILE:mmi>
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/docs/examples/whatif)
add_test(NAME "whatif:money-report-renders-in-chromium"
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/whatif/report_chromium.sh $<TARGET_FILE:mmi>
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/docs/examples/whatif)
set_tests_properties("whatif:money-report-renders-in-chromium" PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
# The what-if with a measure and a segment shown in docs/cli.md and the tutorial (docs/language.md).
add_test(NAME "whatif:docs-measure-and-segment"
         COMMAND $<TARGET_FILE:mmi> whatif -q -p policy.yaml book.jsonl --format text
                 --set "statutory_period=120 days"
                 --measure "paid = days_between(benefits.disability_start, coverage_cutoff) * benefits.weekly_rate / 7"
                 --by injury.body_part --top 3
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/docs/examples/whatif)
set_tests_properties("whatif:docs-measure-and-segment" PROPERTIES PASS_REGULAR_EXPRESSION
  "  paid +21,600 → 25,220 \\(\\+3,620, \\+16\\.76%; missing in 2\\)\n.*  by injury\\.body_part \\(3 segments\\)\n    knee +3 cases, 3 changed; paid 16,500 → 19,900 \\(\\+3,400, \\+20\\.61%\\)\n    back +3 cases, 2 changed; paid 5,000 → 5,200 \\(\\+200, \\+4%; missing in 1\\)\n    \\(missing\\) +2 cases, 1 changed; paid 100 → 120 \\(\\+20, \\+20%; missing in 1\\)")
add_test(NAME "whatif:docs-bad-measure-located"
         COMMAND $<TARGET_FILE:mmi> whatif -q -p policy.yaml book.jsonl
                 --set "statutory_period=120 days" --measure "paid = benefits.weekly_rat * 2"
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/docs/examples/whatif)
set_tests_properties("whatif:docs-bad-measure-located" PROPERTIES WILL_FAIL FALSE
  PASS_REGULAR_EXPRESSION "--measure paid:1:8: error\\[E202\\]: benefits has no field `weekly_rat`")
# examples/dask: a LocalCluster of 2 workers runs `mmi batch` and `mmi whatif --partial` per shard
# and `mmi whatif --merge`; the merged results and summaries equal
# one run byte for byte. Skipped when Debian's python3-distributed is not installed.
add_test(NAME "dask:batch-and-whatif-shards-on-local-cluster"
         COMMAND bash ${PROJECT_SOURCE_DIR}/examples/dask/test_dask.sh $<TARGET_FILE:mmi> ${PROJECT_SOURCE_DIR})
set_tests_properties("dask:batch-and-whatif-shards-on-local-cluster" PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 180)
# --partial per part of a book and --merge: one run's bytes (text, JSON, CSV, HTML) with measures,
# --by and a 2-D grid; the most affected order; several CASES; --merge usage errors.
add_test(NAME "whatif:partial-merge-equals-one-run"
         COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/whatif/merge_test.py $<TARGET_FILE:mmi> ${PROJECT_SOURCE_DIR}
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/docs/examples/whatif)
set_tests_properties("whatif:partial-merge-equals-one-run" PROPERTIES TIMEOUT 300)
