# The topology at scale: parse, graph, layout (and the scene when the widgets have it) of a
# synthetic 2,000-instance runner, against Graphviz's own `dot -Tsvg` on the same graph (issue 5).
# Run: ninja -C build/release run_bench_topology (or the binary, with --help-like flags in its header).
if(TARGET Nestscope::widgets AND EXISTS ${PROJECT_SOURCE_DIR}/widgets/topology.cmake)
    nestscope_add_benchmark(bench_topology SOURCES bench_topology.cpp LIBRARIES Nestscope::core Nestscope::widgets)
    target_compile_definitions(bench_topology PRIVATE NESTSCOPE_BENCH_SCENE)
else()
    nestscope_add_benchmark(bench_topology SOURCES bench_topology.cpp LIBRARIES Nestscope::core)
endif()
