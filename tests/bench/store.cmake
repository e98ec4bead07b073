# The run store: batched inserts against one transaction per insert; open + matrix of a big run.
nestscope_add_benchmark(bench_store SOURCES bench_store.cpp LIBRARIES Nestscope::core)
