# Diagnosis: the recorded lab runs of every scenario, and failures derived from them.
nestscope_add_test(tst_diagnosis LABEL unit SOURCES tst_diagnosis.cpp LIBRARIES Nestscope::core)
