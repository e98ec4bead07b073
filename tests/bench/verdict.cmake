# Time to verdict on the lab: Run to the right top finding, per scenario, against the plan's own
# order with finished samples only, measured in the same run (issue 11). Needs root and the lab.
# Run: cmake --build --preset release --target run_bench_verdict
if(TARGET Nestscope::widgets)
    nestscope_add_benchmark(bench_verdict SOURCES bench_verdict.cpp LIBRARIES Nestscope::widgets Qt6::Test)
    target_include_directories(bench_verdict PRIVATE ${PROJECT_SOURCE_DIR}/tests/integration)
endif()
