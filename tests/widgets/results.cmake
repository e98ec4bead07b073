# Charts, run list and comparison views, rendered offscreen from recorded runs.
nestscope_add_test(tst_resultviews LABEL widgets SOURCES tst_resultviews.cpp LIBRARIES Nestscope::widgets)
nestscope_add_test(tst_mainwindowstore LABEL widgets SOURCES tst_mainwindowstore.cpp LIBRARIES Nestscope::widgets)
