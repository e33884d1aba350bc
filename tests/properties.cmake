# Property tests (rapidcheck) for calendar arithmetic and decimal round-trips: a second executable
# built from tests/properties/*.cpp.
find_package(rapidcheck REQUIRED)
file(GLOB MMI_PROPERTY_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/properties/*.cpp)
add_executable(mmi_properties ${MMI_PROPERTY_TESTS})
target_link_libraries(mmi_properties PRIVATE mmi_rules rapidcheck rapidcheck_catch
                                             Catch2::Catch2WithMain)
add_test(NAME properties COMMAND mmi_properties)
