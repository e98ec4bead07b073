# The run session in-process on this machine: the real LocalTransport, a real SQLite store, the
# real discovery and rules (no lab needed).
nestscope_add_test(tst_runsession LABEL unit SOURCES tst_runsession.cpp LIBRARIES Nestscope::core)
