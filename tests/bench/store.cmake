# The run store: batched inserts against one transaction per insert; open + matrix of a big run.
nestscope_add_benchmark(bench_store SOURCES bench_store.cpp LIBRARIES Nestscope::core)
# Charts of a 10,000-sample run: build, paint, zoom and hover (offscreen). Needs the widgets.
if(TARGET Nestscope::widgets)
    nestscope_add_benchmark(bench_charts SOURCES bench_charts.cpp LIBRARIES Nestscope::widgets)
endif()
