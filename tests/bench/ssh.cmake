# bench_ssh: 200 x `true` over SSH, Nestscope against OpenSSH, on a private sshd (issue 3).
# Not a test: run it with `ninja -C build/release run_bench_ssh` or the binary itself.
# The sshd fixture is compiled in rather than linked, so this builds without the GUI too.
nestscope_add_benchmark(bench_ssh
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_ssh.cpp
        ${PROJECT_SOURCE_DIR}/tests/integration/sshserver.cpp ${PROJECT_SOURCE_DIR}/tests/integration/sshserver.h
    LIBRARIES Nestscope::core Qt6::Network)
target_include_directories(bench_ssh PRIVATE ${PROJECT_SOURCE_DIR}/tests/integration)
