# The run store: SQLite (QtSql) with its schema migrations, and run comparison.
target_sources(nestscope_core PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/runstore.cpp ${CMAKE_CURRENT_LIST_DIR}/runstore.h
    ${CMAKE_CURRENT_LIST_DIR}/storeschema.cpp ${CMAKE_CURRENT_LIST_DIR}/storeschema.h
)
# The writer drives QtSql's own sqlite3 handle for its inserts (see SampleInserter).
find_package(SQLite3 REQUIRED)
target_link_libraries(nestscope_core PRIVATE SQLite::SQLite3)
target_sources(nestscope_core PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/comparison.cpp ${CMAKE_CURRENT_LIST_DIR}/comparison.h
)
target_sources(nestscope_core PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/runstats.cpp ${CMAKE_CURRENT_LIST_DIR}/runstats.h
)
target_sources(nestscope_core PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/runrecorder.cpp ${CMAKE_CURRENT_LIST_DIR}/runrecorder.h
)
# How a run's results colour the topology's edges (the graph, the CLI and the reports).
target_sources(nestscope_core PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/edgeresults.cpp ${CMAKE_CURRENT_LIST_DIR}/edgeresults.h
)
# Experiments: the fixes tried on a runner, kept so that none is forgotten (core/experiment runs them).
target_sources(nestscope_core PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/experimentrecord.cpp ${CMAKE_CURRENT_LIST_DIR}/experimentrecord.h
)
