# `nestscope topology` on this machine: exit codes, JSON, SVG and PNG (no lab needed).
nestscope_add_test(tst_topologycli LABEL integration SOURCES tst_topologycli.cpp LIBRARIES Qt6::Gui)
add_dependencies(tst_topologycli nestscope)
target_compile_definitions(tst_topologycli PRIVATE NESTSCOPE_BINARY="$<TARGET_FILE:nestscope>")
