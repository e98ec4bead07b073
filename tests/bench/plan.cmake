# The plan scheduler against the lab (needs: sudo tests/lab/lab up).
nestscope_add_benchmark(bench_plan SOURCES bench_plan.cpp LIBRARIES Nestscope::core)
