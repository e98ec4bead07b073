# Topology graph building and its Graphviz layout (libgvc + cgraph; Debian: libgraphviz-dev).
find_package(PkgConfig REQUIRED)
pkg_check_modules(GVC REQUIRED IMPORTED_TARGET libgvc libcgraph)
target_sources(nestscope_core PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/graph.cpp ${CMAKE_CURRENT_LIST_DIR}/graph.h
    ${CMAKE_CURRENT_LIST_DIR}/layout.cpp ${CMAKE_CURRENT_LIST_DIR}/layout.h
)
target_link_libraries(nestscope_core PRIVATE PkgConfig::GVC)
