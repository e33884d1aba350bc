# Runs the embedding example and checks its output (a script mode helper for tests/embed.cmake; not a fragment, so it lives in tests/cmake/).
#
# Texas, income benefits from 2024-01-23, no opinions, as_of 2026-03-01:
#   statutory date S = 2024-01-23 + 104 weeks (728 days) = 2026-01-20 <= as_of: `statutory` fires;
#   no opinion: `final_certification` and `certified` not fired; no extension: `spinal_extension`
#   not fired. Decision: reached on 2026-01-20, cutoff = mmi_date = 2026-01-20.
execute_process(COMMAND ${EXE} ${POLICY} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "embed example exited with ${rc}:\n${out}\n${err}")
endif()
set(expected
    "policy: us-tx 2.0.0\n"
    "status: reached\n"
    "mmi_date: 2026-01-20\n"
    "basis: statutory\n"
    "coverage_cutoff: 2026-01-20\n"
    "rule final_certification: not_fired\n"
    "rule certified: not_fired\n"
    "rule statutory: fired\n"
    "rule spinal_extension: not_fired\n")
string(CONCAT expected ${expected})
string(FIND "${out}" "${expected}" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "unexpected output:\n${out}\nexpected it to start with:\n${expected}")
endif()
foreach(fragment "\"case\":\"C1\"" "\"status\":\"reached\"" "\"mmi_date\":\"2026-01-20\""
                 "\"basis\":\"statutory\"" "\"impairment_start\":\"2026-01-21\"")
  string(FIND "${out}" "${fragment}" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "result JSON lacks ${fragment}:\n${out}")
  endif()
endforeach()
