# Charts, run list and comparison views, rendered offscreen from recorded runs.
nestscope_add_test(tst_resultviews LABEL widgets SOURCES tst_resultviews.cpp LIBRARIES Nestscope::widgets)
nestscope_add_test(tst_mainwindowstore LABEL widgets SOURCES tst_mainwindowstore.cpp LIBRARIES Nestscope::widgets)
# The Findings panel and model, on the recorded lab runs' diagnoses.
nestscope_add_test(tst_findings LABEL widgets SOURCES tst_findings.cpp LIBRARIES Nestscope::widgets)
# File > Open… and drops on the window: plans, runs and topologies by their content.
nestscope_add_test(tst_openfile LABEL widgets SOURCES tst_openfile.cpp LIBRARIES Nestscope::widgets)
# Try the Fix: the experiment dialog on a real LocalTransport and RunStore, and pending experiments.
nestscope_add_test(tst_experimentdialog LABEL widgets SOURCES tst_experimentdialog.cpp LIBRARIES Nestscope::widgets)
