# The run store, run comparison and their models.

# A writer the crash-safety test kills with SIGKILL in the middle of a run.
add_executable(runstore_crash_helper runstore_crash_helper.cpp storetestdata.h)
target_link_libraries(runstore_crash_helper PRIVATE Nestscope::settings Nestscope::core)

nestscope_add_test(tst_runstore LABEL unit SOURCES tst_runstore.cpp storetestdata.h LIBRARIES Nestscope::core)
target_compile_definitions(tst_runstore PRIVATE RUNSTORE_CRASH_HELPER="$<TARGET_FILE:runstore_crash_helper>")
add_dependencies(tst_runstore runstore_crash_helper)

nestscope_add_test(tst_comparison LABEL unit SOURCES tst_comparison.cpp LIBRARIES Nestscope::core)
nestscope_add_test(tst_resultmodels LABEL unit SOURCES tst_resultmodels.cpp LIBRARIES Nestscope::models)
