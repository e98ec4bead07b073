# File > Export Report…: the dialog's preview and its outputs, on recorded lab runs.
nestscope_add_test(tst_reportdialog LABEL widgets SOURCES tst_reportdialog.cpp LIBRARIES Nestscope::widgets)
