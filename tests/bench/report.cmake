# The report of a 10,000-sample run as HTML and PDF, against writing the same run's JSON (issue 12).
# Run: cmake --build --preset release --target run_bench_report
nestscope_add_benchmark(bench_report SOURCES bench_report.cpp LIBRARIES Nestscope::reportpdf)
