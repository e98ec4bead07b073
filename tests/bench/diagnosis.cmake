# The diagnosis of a 10,000-sample run on a 2,000-instance topology, against reading the same run
# into a matrix (issue 11). Run: cmake --build --preset release --target run_bench_diagnosis
nestscope_add_benchmark(bench_diagnosis SOURCES bench_diagnosis.cpp LIBRARIES Nestscope::core)
