# Built-in plans and other data compiled into nestscope_core (":/plans/...").
qt_add_resources(nestscope_core "nestscope_builtin"
    PREFIX "/"
    BASE "${CMAKE_CURRENT_LIST_DIR}"
    FILES
        "${CMAKE_CURRENT_LIST_DIR}/plans/local-basics.yaml"
        "${CMAKE_CURRENT_LIST_DIR}/plans/nested-vm-network.yaml"
        "${CMAKE_CURRENT_LIST_DIR}/plans/quick.yaml"
)
