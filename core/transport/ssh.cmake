# The SSH and instance transports (issue 3). Included from core/CMakeLists.txt.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBSSH REQUIRED IMPORTED_TARGET libssh>=0.10)

target_sources(nestscope_core PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/sshoptions.h
    ${CMAKE_CURRENT_LIST_DIR}/knownhostsmarker.cpp ${CMAKE_CURRENT_LIST_DIR}/knownhostsmarker.h
    ${CMAKE_CURRENT_LIST_DIR}/sshconfig.cpp ${CMAKE_CURRENT_LIST_DIR}/sshconfig.h
    ${CMAKE_CURRENT_LIST_DIR}/sshsession.cpp ${CMAKE_CURRENT_LIST_DIR}/sshsession.h
    ${CMAKE_CURRENT_LIST_DIR}/sshworker.cpp ${CMAKE_CURRENT_LIST_DIR}/sshworker.h
    ${CMAKE_CURRENT_LIST_DIR}/sshtransport.cpp ${CMAKE_CURRENT_LIST_DIR}/sshtransport.h
    ${CMAKE_CURRENT_LIST_DIR}/instancetransport.cpp ${CMAKE_CURRENT_LIST_DIR}/instancetransport.h
)
target_link_libraries(nestscope_core PRIVATE PkgConfig::LIBSSH)
