# The run session in-process on this machine: the real LocalTransport, a real SQLite store, the
# real discovery and rules (no lab needed).
nestscope_add_test(tst_runsession LABEL unit SOURCES tst_runsession.cpp LIBRARIES Nestscope::core)
# `nestscope run` in-process: the CLI's front-end library (app/), which links core and no widgets.
if(TARGET nestscope_cli)
    nestscope_add_test(tst_runcommand LABEL unit SOURCES tst_runcommand.cpp LIBRARIES Nestscope::cli)
endif()
# What a file handed to the workbench is (File > Open…, drops), from its content.
nestscope_add_test(tst_filekind LABEL unit SOURCES tst_filekind.cpp LIBRARIES Nestscope::core)
