# Diagnosis: the recorded lab runs of every scenario, and failures derived from them.
nestscope_add_test(tst_diagnosis LABEL unit SOURCES tst_diagnosis.cpp LIBRARIES Nestscope::core)
# Experiments: a fix applied, recorded, failed and reverted on this machine's shell, with a real store.
nestscope_add_test(tst_experiment LABEL unit SOURCES tst_experiment.cpp LIBRARIES Nestscope::core)
