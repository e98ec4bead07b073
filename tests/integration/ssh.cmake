# SSH transport tests against a private OpenSSH server (issue 3). Included from
# tests/integration/CMakeLists.txt. Needs /usr/sbin/sshd (openssh-server), ssh-keygen, ssh-agent.
add_library(nestscope_test_sshserver STATIC
    ${CMAKE_CURRENT_LIST_DIR}/sshserver.cpp ${CMAKE_CURRENT_LIST_DIR}/sshserver.h)
target_include_directories(nestscope_test_sshserver PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(nestscope_test_sshserver PUBLIC Nestscope::settings Qt6::Core Qt6::Network)

nestscope_add_test(tst_sshtransport LABEL integration TIMEOUT 300
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_sshtransport.cpp
    LIBRARIES Nestscope::core nestscope_test_sshserver)

nestscope_add_test(tst_sshinstancetransport LABEL integration
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_sshinstancetransport.cpp
    LIBRARIES Nestscope::core)
# Its realLabInstance case once more, against the lab's own LXD, which it brings up (label lab:
# needs root; under CI=true a lab that cannot start fails). The integration run above only
# uses the lab when it happens to be up.
add_test(NAME tst_labinstancetransport COMMAND tst_sshinstancetransport realLabInstance)
set_tests_properties(tst_labinstancetransport PROPERTIES
    LABELS lab TIMEOUT 900 RUN_SERIAL TRUE ENVIRONMENT "NESTSCOPE_LAB_TEST=1"
    SKIP_REGULAR_EXPRESSION "SKIP   : ")

if(TARGET nestscope_widgets)
    nestscope_add_test(tst_sshdialogs LABEL widgets
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_sshdialogs.cpp
        LIBRARIES Nestscope::widgets nestscope_test_sshserver)
endif()

if(TARGET nestscope)
    nestscope_add_test(tst_sshcli LABEL integration
        SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_sshcli.cpp
        LIBRARIES nestscope_test_sshserver)
    target_compile_definitions(tst_sshcli PRIVATE NESTSCOPE_BINARY="$<TARGET_FILE:nestscope>")
    add_dependencies(tst_sshcli nestscope)
endif()
