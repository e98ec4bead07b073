# Topology discovery: golden tests over the recorded lab fixtures, parsers, framing, the script on
# this machine, JSON. Regenerate the golden files with NESTSCOPE_UPDATE_GOLDEN=1.
nestscope_add_test(tst_topology LABEL unit SOURCES tst_topology.cpp LIBRARIES Nestscope::core)
# What a failed lxc/incus means (core/topology/lxderror), over what the real client printed.
nestscope_add_test(tst_lxderror LABEL unit SOURCES tst_lxderror.cpp LIBRARIES Nestscope::core)
