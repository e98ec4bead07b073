# The run session: the one sequence from a plan to its verdict that the CLI and the GUI both
# drive (targets -> topology snapshot -> scheduler -> store -> diagnosis). Core only.
target_sources(nestscope_core PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/runsession.cpp ${CMAKE_CURRENT_LIST_DIR}/runsession.h
    ${CMAKE_CURRENT_LIST_DIR}/filekind.cpp ${CMAKE_CURRENT_LIST_DIR}/filekind.h
)
