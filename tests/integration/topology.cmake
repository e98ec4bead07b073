# Topology discovery against the live lab, every scenario, over SSH and as root on the runner
# (needs root and the lab; see tests/lab/README.md).
nestscope_add_test(tst_labtopology LABEL lab TIMEOUT 900 SOURCES tst_labtopology.cpp LIBRARIES Nestscope::core)
set_tests_properties(tst_labtopology PROPERTIES RUN_SERIAL TRUE)
