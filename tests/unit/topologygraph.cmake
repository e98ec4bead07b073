# The topology graph and its Graphviz layout. The test reads the DOT text back with cgraph
# itself, so it links Graphviz directly too.
find_package(PkgConfig REQUIRED)
pkg_check_modules(TOPO_CGRAPH REQUIRED IMPORTED_TARGET libcgraph)
nestscope_add_test(tst_topologygraph LABEL unit SOURCES tst_topologygraph.cpp
    LIBRARIES Nestscope::core PkgConfig::TOPO_CGRAPH)
set_property(TEST tst_topologygraph APPEND PROPERTY ENVIRONMENT
    "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/topologygraph.lsan.supp")
