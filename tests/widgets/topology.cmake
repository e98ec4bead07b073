# The topology page: scene, view, inspector and exports, on the recorded lab fixtures.
nestscope_add_test(tst_topologyview LABEL widgets SOURCES tst_topologyview.cpp LIBRARIES Nestscope::widgets)
