# Editor schemas (schemas/*.schema.json): tests/unit/schema_test.cpp validates every shipped
# policy, module, suite and case against them with valijson (header-only).
find_package(valijson REQUIRED)
target_link_libraries(mmi_tests PRIVATE valijson yaml-cpp)
