# `nestscope report` and `nestscope run --html/--pdf`, the real binary without a display (issue 12).
nestscope_add_test(tst_reportcli LABEL integration SOURCES tst_reportcli.cpp LIBRARIES Nestscope::core)
add_dependencies(tst_reportcli nestscope)
target_compile_definitions(tst_reportcli PRIVATE NESTSCOPE_BINARY="$<TARGET_FILE:nestscope>")
